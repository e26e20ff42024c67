package dev.idempotency.examples.springboot;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The example application started on embedded Tomcat on a free port, and a plain {@link HttpClient} to talk
 * to it, so the tests go through real HTTP and the real filter chain.
 */
final class RunningApplication implements AutoCloseable {

    private final ConfigurableApplicationContext context;
    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private RunningApplication(ConfigurableApplicationContext context) {
        this.context = context;
        int port = ((WebServerApplicationContext) context).getWebServer().getPort();
        this.base = URI.create("http://127.0.0.1:" + port);
    }

    /**
     * Starts the application with the "test" profile (plus {@code profiles}) and {@code properties} given as
     * command-line arguments, which win over application.properties as they would for a user.
     */
    static RunningApplication start(Map<String, String> properties, String... profiles) {
        return start(properties, builder -> { }, profiles);
    }

    /** As {@link #start(Map, String...)}, letting {@code customizer} adjust the builder first. */
    static RunningApplication start(Map<String, String> properties, Consumer<SpringApplicationBuilder> customizer,
            String... profiles) {
        List<String> args = new ArrayList<>();
        args.add("--server.port=0");
        properties.forEach((name, value) -> args.add("--" + name + "=" + value));
        List<String> active = new ArrayList<>(List.of(profiles));
        active.add("test");
        SpringApplicationBuilder builder = new SpringApplicationBuilder(SpringBootExampleApplication.class)
                .profiles(active.toArray(String[]::new));
        customizer.accept(builder);
        return new RunningApplication(builder.run(args.toArray(String[]::new)));
    }

    ConfigurableApplicationContext context() {
        return context;
    }

    /** A POST of {@code json} to {@code path}; {@code headers} are name, value pairs. */
    HttpResponse<String> post(String path, String json, String... headers) throws IOException, InterruptedException {
        return send("POST", path, "application/json", json, headers);
    }

    /** A request with a body of {@code contentType}; {@code headers} are name, value pairs. */
    HttpResponse<String> send(String method, String path, String contentType, String body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", contentType)
                .method(method, HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** How many orders of {@code item} are committed, read outside any request. */
    int ordersOf(String item) {
        Integer count = context.getBean(JdbcTemplate.class)
                .queryForObject("select count(*) from orders where item = ?", Integer.class, item);
        return count == null ? 0 : count;
    }

    @Override
    public void close() {
        context.close();
    }
}
