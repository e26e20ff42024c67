package dev.idempotency.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import org.eclipse.jetty.io.QuietException;

/**
 * {@code /posts}: creating a post ({@code POST /posts}), listing an account's posts
 * ({@code GET /posts?account_id=A}) and reading one ({@code GET /posts/{id}}, where {@code Location}
 * points).
 *
 * <p>The handler is written as if idempotency did not exist: it validates, inserts, enqueues the
 * {@code post.published} event in the outbox ({@link PostEvents}), answers. The
 * {@link dev.idempotency.servlet.IdempotencyFilter} in front of it claims the key before it runs, and the
 * insert goes through the store's transaction-joining DataSource and the outbox joins the same transaction,
 * so the row, the event and the stored response commit together; a retry never reaches this code once an
 * outcome is stored, so it enqueues no second event.
 *
 * <p>Demo-only fault knobs, for showing what the filter does when things go wrong; a real API would not
 * have them:
 * <ul>
 * <li>{@value #DELAY_HEADER}{@code : N} sleeps N milliseconds (at most {@value #MAX_DELAY_MILLIS}) after
 * the insert, holding the key in progress, so a concurrent duplicate gets 409 with {@code Retry-After}.</li>
 * <li>{@value #FAIL_HEADER}{@code : true} throws after the insert and the enqueue; the filter rolls both
 * back and frees the key (no post, no event is ever sent), the client gets 500, and a retry with the same
 * key runs again.</li>
 * </ul>
 * Headers are not part of the request fingerprint, so a retry without a knob is the same request.
 */
final class PostsServlet extends HttpServlet {

    /** Demo-only: milliseconds to sleep after the insert. */
    static final String DELAY_HEADER = "X-Demo-Delay-Ms";

    /** Demo-only: {@code true} to fail after the insert. */
    static final String FAIL_HEADER = "X-Demo-Fail";

    /** The longest delay {@value #DELAY_HEADER} may ask for, so the knob cannot tie up a thread for long. */
    static final long MAX_DELAY_MILLIS = 60_000;

    private static final long serialVersionUID = 1L;

    private final transient PostRepository posts;
    private final transient PostEvents events;
    private final transient ObjectMapper json;
    private final transient Clock clock;

    PostsServlet(PostRepository posts, PostEvents events, ObjectMapper json, Clock clock) {
        this.posts = Objects.requireNonNull(posts, "posts");
        this.events = Objects.requireNonNull(events, "events");
        this.json = Objects.requireNonNull(json, "json");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Creates a post from {@code {"account_id": "...", "content": "..."}} and enqueues its
     * {@code post.published} event: 201 with {@code Location} and the post, or 400 with a problem naming the
     * field that is missing or invalid, text the database cannot store exactly included ({@link TextFields}),
     * before anything is written. Only {@code /posts} itself takes a POST: the
     * {@link UnsupportedRequestFilter} in front answers one to {@code /posts/{id}} with 405.
     */
    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        JsonNode body;
        try {
            body = json.readTree(request.getInputStream());
        } catch (JsonProcessingException e) {
            // The filter refuses malformed JSON declared as JSON; this catches bodies sent as another type.
            Problems.badRequest(request, response, json, "The request body is not valid JSON: "
                    + e.getOriginalMessage());
            return;
        }
        if (body == null || !body.isObject()) {
            Problems.badRequest(request, response, json,
                    "The request body must be a JSON object such as {\"account_id\": \"a1\", \"content\": \"Hello\"}");
            return;
        }
        String invalid = TextFields.invalidField(body, "account_id", PostRepository.MAX_ACCOUNT_ID_LENGTH);
        if (invalid == null) {
            invalid = TextFields.invalidField(body, "content", PostRepository.MAX_CONTENT_LENGTH);
        }
        if (invalid != null) {
            Problems.badRequest(request, response, json, invalid);
            return;
        }
        // Demo-only fault knob, read before the insert so a bad value changes nothing.
        long delayMillis;
        try {
            delayMillis = demoDelayMillis(request);
        } catch (IllegalArgumentException e) {
            Problems.badRequest(request, response, json, e.getMessage());
            return;
        }

        Post post;
        try {
            post = posts.insert(body.get("account_id").asText(), body.get("content").asText(), clock.instant());
        } catch (SQLException e) {
            throw DatabaseUnavailableException.of("Could not insert the post", e);
        }
        // Joins the request's transaction: the event commits with the post, or rolls back with it.
        events.published(post);
        // Demo-only fault knobs, after the insert so they show what happens to it: the delay keeps the key
        // in progress (a duplicate gets 409), the failure makes the filter roll the insert and the event back.
        if (delayMillis > 0) {
            sleep(delayMillis);
        }
        if ("true".equalsIgnoreCase(request.getHeader(FAIL_HEADER))) {
            throw new DemoFailure();
        }

        response.setHeader("Location", "/posts/" + post.id());
        Responses.json(response, HttpServletResponse.SC_CREATED, json.writeValueAsBytes(post.toJson(json)));
    }

    /**
     * {@code GET /posts?account_id=A} lists that account's posts in id order (400 without the parameter);
     * {@code GET /posts/{id}} answers one post, or 404.
     */
    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        if (isCollection(request)) {
            list(request, response);
        } else {
            read(request, response);
        }
    }

    private void read(HttpServletRequest request, HttpServletResponse response) throws ServletException, IOException {
        String idText = request.getPathInfo().substring(1);
        Optional<Post> post;
        try {
            post = posts.findById(Long.parseLong(idText));
        } catch (NumberFormatException e) {
            post = Optional.empty();
        } catch (SQLException e) {
            throw DatabaseUnavailableException.of("Could not read a post", e);
        }
        if (post.isEmpty()) {
            Problems.notFound(request, response, json, "There is no post " + request.getRequestURI());
            return;
        }
        Responses.json(response, HttpServletResponse.SC_OK, json.writeValueAsBytes(post.get().toJson(json)));
    }

    private void list(HttpServletRequest request, HttpServletResponse response) throws ServletException, IOException {
        String accountId = request.getParameter("account_id");
        if (accountId == null || accountId.isBlank()) {
            Problems.badRequest(request, response, json,
                    "The query parameter account_id is required, as in /posts?account_id=a1");
            return;
        }
        String invalid = TextFields.invalidParameter("account_id", accountId);
        if (invalid != null) {
            Problems.badRequest(request, response, json, invalid);
            return;
        }
        ArrayNode list = json.createArrayNode();
        try {
            for (Post post : posts.findByAccount(accountId)) {
                list.add(post.toJson(json));
            }
        } catch (SQLException e) {
            throw DatabaseUnavailableException.of("Could not list the posts of an account", e);
        }
        Responses.json(response, HttpServletResponse.SC_OK, json.writeValueAsBytes(list));
    }

    /** Whether the request is for {@code /posts} itself rather than one post under it. */
    private static boolean isCollection(HttpServletRequest request) {
        String pathInfo = request.getPathInfo();
        return pathInfo == null || pathInfo.equals("/");
    }

    /** Demo-only: the delay {@value #DELAY_HEADER} asks for, 0 without it. */
    static long demoDelayMillis(HttpServletRequest request) {
        String header = request.getHeader(DELAY_HEADER);
        if (header == null) {
            return 0;
        }
        try {
            long millis = Long.parseLong(header.trim());
            if (millis >= 0 && millis <= MAX_DELAY_MILLIS) {
                return millis;
            }
        } catch (NumberFormatException e) {
            // Reported below with the value, like an out-of-range number.
        }
        throw new IllegalArgumentException("The header " + DELAY_HEADER + " must be a number of milliseconds from 0 to "
                + MAX_DELAY_MILLIS + ", not '" + header + "'");
    }

    static void sleep(long millis) throws ServletException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            // Failing rolls the insert back (or, on /payments, releases the lease): an interrupted request (server
            // stopping) leaves nothing behind that a retry could not finish.
            throw new ServletException("Interrupted during the " + DELAY_HEADER + " delay", e);
        }
    }

    /**
     * Demo-only: the failure {@value #FAIL_HEADER} asks for. Quiet, because it is expected: Jetty answers
     * 500 without logging a stack trace for it.
     */
    static final class DemoFailure extends RuntimeException implements QuietException {

        private static final long serialVersionUID = 1L;

        DemoFailure() {
            this("Failing after the insert because the request carries " + FAIL_HEADER + ": true (demo fault knob); "
                    + "the idempotency filter rolls the insert and its event back");
        }

        DemoFailure(String message) {
            super(message);
        }
    }
}
