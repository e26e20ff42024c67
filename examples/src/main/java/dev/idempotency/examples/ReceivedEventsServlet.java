package dev.idempotency.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;

/**
 * {@code GET /webhooks/received}: what the webhook receiver recorded, so one can see one receipt per post.
 * {@code ?post_id=N} lists the receipts of post N; without it, the latest
 * {@value ReceivedEventRepository#LATEST_LIMIT}. Both in the order they were recorded, as receipts
 * ({@link ReceivedEvent#toJson}).
 */
final class ReceivedEventsServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    private final transient ReceivedEventRepository receipts;
    private final transient ObjectMapper json;

    ReceivedEventsServlet(ReceivedEventRepository receipts, ObjectMapper json) {
        this.receipts = Objects.requireNonNull(receipts, "receipts");
        this.json = Objects.requireNonNull(json, "json");
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        String postId = request.getParameter("post_id");
        List<ReceivedEvent> found;
        try {
            if (postId == null) {
                found = receipts.latest();
            } else {
                long id;
                try {
                    id = Long.parseLong(postId.trim());
                } catch (NumberFormatException e) {
                    Problems.badRequest(request, response, json,
                            "The query parameter post_id must be a post's id, as in /webhooks/received?post_id=1");
                    return;
                }
                found = receipts.findByPostId(id);
            }
        } catch (SQLException e) {
            throw DatabaseUnavailableException.of("Could not list the received events", e);
        }
        ArrayNode list = json.createArrayNode();
        for (ReceivedEvent receipt : found) {
            list.add(receipt.toJson(json));
        }
        byte[] body = json.writeValueAsBytes(list);
        Responses.json(response, HttpServletResponse.SC_OK, body);
    }
}
