package dev.idempotency.examples.springboot;

import java.net.URI;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.Objects;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.jdbc.support.KeyHolder;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /orders} creates an order; {@code GET /orders} lists them. The POST is an ordinary Spring MVC
 * handler: it knows nothing of idempotency keys, and its {@link JdbcTemplate} insert joins the idempotent
 * request's transaction because the application's DataSource is the store's transaction-joining one.
 *
 * <p>There is deliberately no {@code @Transactional} here: see {@link IdempotencyConfiguration}.
 *
 * <p>A demo-only fault knob: {@code X-Fail: true} throws after the insert, to show that the insert rolls back
 * and that a retry with the same key runs again.
 */
@RestController
@RequestMapping("/orders")
public class OrdersController {

    private final JdbcTemplate jdbc;

    /** A controller writing through {@code jdbc}. */
    public OrdersController(JdbcTemplate jdbc) {
        this.jdbc = Objects.requireNonNull(jdbc, "jdbc");
    }

    /** The body of {@code POST /orders}. */
    public record NewOrder(String item) {
    }

    /**
     * Inserts the order and answers 201 with its {@code Location} and JSON; 422 (a problem document) when
     * {@code item} is missing or blank.
     *
     * @throws IllegalStateException when {@code X-Fail: true}, after the insert
     */
    @PostMapping
    public ResponseEntity<?> create(@RequestBody NewOrder order,
            @RequestHeader(name = "X-Fail", defaultValue = "false") boolean fail) {
        if (order == null || order.item() == null || order.item().isBlank()) {
            return ResponseEntity.of(ProblemDetail.forStatusAndDetail(HttpStatus.UNPROCESSABLE_CONTENT,
                    "item must be a non-empty string")).build();
        }
        KeyHolder keys = new GeneratedKeyHolder();
        jdbc.update(connection -> {
            PreparedStatement insert = connection.prepareStatement("insert into orders (item) values (?)",
                    new String[] {"id"});
            insert.setString(1, order.item());
            return insert;
        }, keys);
        long id = Objects.requireNonNull(keys.getKey(), "generated id").longValue();
        if (fail) {
            throw new IllegalStateException("X-Fail: failing after inserting order " + id);
        }
        return ResponseEntity.created(URI.create("/orders/" + id)).body(new Order(id, order.item()));
    }

    /** Every order, oldest first. */
    @GetMapping
    public List<Order> list() {
        return jdbc.query("select id, item from orders order by id",
                (row, n) -> new Order(row.getLong("id"), row.getString("item")));
    }
}
