package dev.idempotency.benchmarks;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/** Line charts of the scaling runs, drawn with Java2D into one PNG: two panels per row. */
final class Charts {

    private static final int PANEL_WIDTH = 620;
    private static final int PANEL_HEIGHT = 380;
    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
        new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b)};

    private record Panel(String title, List<String> labels, Map<String, double[]> series) {
    }

    private final List<Panel> panels = new ArrayList<>();

    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** Adds a panel: one line per series, one point per label. */
    void panel(String title, List<String> labels, Map<String, double[]> series) {
        panels.add(new Panel(title, List.copyOf(labels), new LinkedHashMap<>(series)));
    }

    boolean hasPanels() {
        return !panels.isEmpty();
    }

    void write(Path file) throws IOException {
        int columns = Math.min(2, panels.size());
        int rows = (panels.size() + 1) / 2;
        BufferedImage image = new BufferedImage(columns * PANEL_WIDTH, rows * PANEL_HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        for (int i = 0; i < panels.size(); i++) {
            draw(g, panels.get(i), (i % 2) * PANEL_WIDTH, (i / 2) * PANEL_HEIGHT);
        }
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
    }

    private static void draw(Graphics2D g, Panel panel, int x0, int y0) {
        int left = x0 + 70;
        int right = x0 + PANEL_WIDTH - 20;
        int top = y0 + 40;
        int bottom = y0 + PANEL_HEIGHT - 90;
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.setColor(Color.BLACK);
        g.drawString(panel.title(), left, y0 + 24);

        double max = 0;
        for (double[] values : panel.series().values()) {
            for (double v : values) {
                max = Math.max(max, v);
            }
        }
        double step = niceStep(max / 5);
        double topValue = Math.max(step, Math.ceil(max / step) * step);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        FontMetrics metrics = g.getFontMetrics();
        for (double v = 0; v <= topValue + step / 2; v += step) {
            int y = bottom - (int) Math.round((bottom - top) * v / topValue);
            g.setColor(new Color(0xE0E0E0));
            g.drawLine(left, y, right, y);
            g.setColor(Color.DARK_GRAY);
            String label = v >= 100 || v == Math.rint(v) ? Report.format("%.0f", v) : Report.format("%.1f", v);
            g.drawString(label, left - 6 - metrics.stringWidth(label), y + 4);
        }
        int points = panel.labels().size();
        int[] xs = new int[points];
        for (int i = 0; i < points; i++) {
            xs[i] = points == 1 ? (left + right) / 2 : left + 20 + (right - left - 40) * i / (points - 1);
            String label = panel.labels().get(i);
            g.setColor(Color.DARK_GRAY);
            g.drawString(label, xs[i] - metrics.stringWidth(label) / 2, bottom + 16);
        }
        g.setColor(Color.GRAY);
        g.drawLine(left, bottom, right, bottom);
        g.drawLine(left, top, left, bottom);

        int legendX = left;
        int legendY = bottom + 40;
        int colour = 0;
        for (Map.Entry<String, double[]> entry : panel.series().entrySet()) {
            Color color = COLORS[colour++ % COLORS.length];
            g.setColor(color);
            g.setStroke(new BasicStroke(2.2f));
            double[] values = entry.getValue();
            for (int i = 0; i < points; i++) {
                int y = bottom - (int) Math.round((bottom - top) * values[i] / topValue);
                g.fillOval(xs[i] - 3, y - 3, 7, 7);
                if (i > 0) {
                    int previous = bottom - (int) Math.round((bottom - top) * values[i - 1] / topValue);
                    g.drawLine(xs[i - 1], previous, xs[i], y);
                }
            }
            g.fillRect(legendX, legendY - 8, 14, 4);
            g.setColor(Color.BLACK);
            g.drawString(entry.getKey(), legendX + 18, legendY - 3);
            legendX += 26 + metrics.stringWidth(entry.getKey());
            if (legendX > right - 120) {
                legendX = left;
                legendY += 16;
            }
        }
        g.setStroke(new BasicStroke(1f));
    }

    private static double niceStep(double raw) {
        if (raw <= 0) {
            return 1;
        }
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        double fraction = raw / magnitude;
        double nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
        return nice * magnitude;
    }
}
