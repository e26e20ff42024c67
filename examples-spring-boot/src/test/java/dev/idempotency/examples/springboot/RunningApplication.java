package dev.idempotency.examples.springboot;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * A Spring Boot application started in the test's JVM on embedded Tomcat on a free port, as a user starts theirs
 * (properties given as command-line arguments win over application.properties), and a plain {@link HttpClient}
 * to talk to it, so the tests go through real HTTP and the real filter chain.
 */
final class RunningApplication implements AutoCloseable {

    private final ConfigurableApplicationContext context;
    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private RunningApplication(ConfigurableApplicationContext context) {
        this.context = context;
        this.base = URI.create("http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port"));
    }

    /** The example application with {@code properties} and {@code profiles}. */
    static RunningApplication start(Map<String, String> properties, String... profiles) {
        return start(new SpringApplicationBuilder(SpringBootExampleApplication.class), properties, profiles);
    }

    /** The application {@code builder} makes, with {@code properties} and {@code profiles}. */
    static RunningApplication start(SpringApplicationBuilder builder, Map<String, String> properties,
            String... profiles) {
        List<String> args = new ArrayList<>(List.of("--server.port=0", "--spring.main.banner-mode=off"));
        properties.forEach((name, value) -> args.add("--" + name + "=" + value));
        return new RunningApplication(builder.profiles(profiles).run(args.toArray(String[]::new)));
    }

    /** {@code first}, then {@code second}, the latter winning. */
    static Map<String, String> merged(Map<String, String> first, Map<String, String> second) {
        Map<String, String> merged = new LinkedHashMap<>(first);
        merged.putAll(second);
        return merged;
    }

    ConfigurableApplicationContext context() {
        return context;
    }

    /** The application's JdbcTemplate: reads outside any request, so they see only what is committed. */
    JdbcTemplate jdbc() {
        return context.getBean(JdbcTemplate.class);
    }

    /** A POST of {@code json} to {@code path}; {@code headers} are name, value pairs. */
    HttpResponse<String> post(String path, String json, String... headers) throws IOException, InterruptedException {
        return send("POST", path, "application/json", json, headers);
    }

    /** A request with a body of {@code contentType}; {@code headers} are name, value pairs. */
    HttpResponse<String> send(String method, String path, String contentType, String body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofSeconds(20))
                .header("Content-Type", contentType)
                .method(method, HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** How many committed orders were placed under {@code key}. */
    long ordersPlacedWith(String key) {
        Long count = jdbc().queryForObject("SELECT count(*) FROM orders WHERE idempotency_key = ?", Long.class, key);
        return count == null ? 0 : count;
    }

    @Override
    public void close() {
        context.close();
    }
}
