package dev.idempotency.benchmarks.jmh;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Random;

/**
 * Realistic JSON request bodies of a given size: an order with a customer, addresses and as many line
 * items as fit, each with nested attributes, arrays, numbers in several notations, booleans, nulls,
 * escapes and non-ASCII text, members in no particular order. Deterministic, so every run hashes the same
 * bytes.
 */
public final class JsonBodies {

    private static final String[] WORDS = {"exactly", "once", "retry", "network", "timeout", "order", "café",
        "naïve", "Zürich", "東京", "emoji \uD83D\uDE80", "quote \\\"q\\\"", "tab\\t", "line\\nbreak", "ünïcödé"};

    private JsonBodies() {
    }

    /** An order document of at least {@code bytes} bytes of UTF-8 (a line item longer at most). */
    public static byte[] order(int bytes) {
        Random random = new Random(bytes);
        StringBuilder json = new StringBuilder(bytes + 512);
        json.append("{\"order_id\":\"ord_").append(Long.toHexString(random.nextLong())).append("\",")
                .append("\"currency\":\"EUR\",\"created\":1718036291,\"livemode\":false,\"coupon\":null,")
                .append("\"customer\":{\"name\":\"Zoë Müller\",\"email\":\"zoe@example.com\",\"tier\":2,")
                .append("\"address\":{\"line1\":\"Bahnhofstrasse 1\",\"city\":\"Zürich\",\"postal_code\":\"8001\",")
                .append("\"country\":\"CH\",\"geo\":{\"lat\":47.3769,\"lon\":8.5417}}},")
                .append("\"metadata\":{\"source\":\"mobile\",\"campaign\":\"spring\\u2013sale\",\"ab\":[1,2,3]},")
                .append("\"items\":[");
        int item = 0;
        while (json.toString().getBytes(StandardCharsets.UTF_8).length < bytes - 2) {
            if (item > 0) {
                json.append(',');
            }
            appendItem(json, item++, random);
        }
        json.append("]}");
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void appendItem(StringBuilder json, int index, Random random) {
        json.append("{\"quantity\":").append(1 + random.nextInt(9))
                .append(",\"sku\":\"SKU-").append(100000 + random.nextInt(900000)).append('"')
                .append(",\"name\":\"").append(words(random, 4)).append('"')
                .append(",\"unit_price\":").append(String.format(Locale.ROOT, "%.2f", random.nextDouble() * 200))
                .append(",\"discount\":").append(random.nextBoolean() ? "0.1e-1" : "null")
                .append(",\"gift\":").append(random.nextBoolean())
                .append(",\"line\":").append(index)
                .append(",\"tags\":[\"").append(words(random, 1)).append("\",\"").append(words(random, 1)).append("\"]")
                .append(",\"attributes\":{\"size\":\"").append("SMLX".charAt(random.nextInt(4)))
                .append("\",\"colour\":\"").append(words(random, 1)).append("\",\"dimensions\":{\"w\":")
                .append(random.nextInt(100)).append(",\"h\":").append(random.nextInt(100))
                .append(",\"unit\":\"cm\"},\"note\":\"").append(words(random, 6)).append("\"}}");
    }

    private static String words(Random random, int count) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < count; i++) {
            if (i > 0) {
                out.append(' ');
            }
            out.append(WORDS[random.nextInt(WORDS.length)]);
        }
        return out.toString();
    }
}
