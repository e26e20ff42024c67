package dev.idempotency.it.tomcat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.IdempotencyConfig;
import dev.idempotency.IdempotencyHeaders;
import dev.idempotency.it.webxml.WebXmlOrdersServlet;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.servlet.IdempotencyFilter;
import dev.idempotency.testing.PostgresDatabaseExtension;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.flywaydb.core.Flyway;
import org.flywaydb.database.cockroachdb.CockroachDBDatabaseType;
import org.flywaydb.database.postgresql.PostgreSQLConfigurationExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * A WAR deployed in a standalone Tomcat 11, the distribution users download, configured only by the
 * {@code web.xml} the README shows: {@code IdempotencyStoreListener} and {@code IdempotencyFilter}, with a
 * servlet of the application's that writes through the listener's DataSource.
 *
 * <ul>
 * <li>With a JDBC URL, the driver in {@code WEB-INF/lib} and nowhere else, as the quick start has it. Tomcat's
 * {@code DriverManager} never sees that driver; the store must find it. The URL comes as system properties,
 * overriding the WAR's context parameters, so the filter sees the listener's settings there too.</li>
 * <li>With a DataSource of Tomcat's own pool, defined in the WAR's {@code META-INF/context.xml} and named by
 * {@code idempotency.jdbc.jndi-name}; its driver is in Tomcat's {@code lib}, where such a pool loads it.</li>
 * </ul>
 * Each deployment answers a first request, its replay (one row written), a reused key with another body (422)
 * and a request without a key (400) over HTTP; then Tomcat is stopped and must stop cleanly, without warnings
 * about threads or drivers the application left behind.
 */
class TomcatWarDeploymentTest {

    private static final Path RUNS = Path.of("target", "tomcat-runs").toAbsolutePath();

    @RegisterExtension
    final PostgresDatabaseExtension db = PostgresDatabaseExtension.create();

    private StandaloneTomcat tomcat;

    @AfterEach
    void stopTomcat() throws InterruptedException {
        // Before the extension drops the schema, which waits for Tomcat's connections.
        if (tomcat != null) {
            tomcat.close();
        }
    }

    @Test
    void warWithTheDriverInWebInfLibServesIdempotentRequests(TestInfo test) throws Exception {
        Map<String, String> systemProperties = new LinkedHashMap<>();
        // As an operator would: system properties override the context parameters of the WAR's web.xml.
        systemProperties.put("idempotency.jdbc.url", db.jdbcUrl());
        systemProperties.put("idempotency.jdbc.user", orEmpty(db.user()));
        systemProperties.put("idempotency.jdbc.password", orEmpty(db.password()));
        tomcat = StandaloneTomcat.prepare(RUNS.resolve(test.getTestMethod().orElseThrow().getName()), systemProperties);
        List<Class<?>> libraries = new ArrayList<>(runtimeLibraries());
        libraries.add(org.postgresql.Driver.class);
        writeWar(tomcat.base().resolve("webapps/ROOT.war"), Path.of("src/test/webapp/WEB-INF/web.xml"), null,
                libraries);
        assertTrue(tomcat.sharedJars().stream().noneMatch(jar -> jar.contains("postgresql")), "the driver is only "
                + "in WEB-INF/lib: " + tomcat.sharedJars());

        deployAndServe();
    }

    @Test
    void warOnAJndiDataSourceOfTomcatServesIdempotentRequests(TestInfo test) throws Exception {
        Map<String, String> systemProperties = new LinkedHashMap<>();
        systemProperties.put("orders.jdbc.url", db.jdbcUrl());
        systemProperties.put("orders.jdbc.user", orEmpty(db.user()));
        systemProperties.put("orders.jdbc.password", orEmpty(db.password()));
        tomcat = StandaloneTomcat.prepare(RUNS.resolve(test.getTestMethod().orElseThrow().getName()), systemProperties);
        // Tomcat's pool loads its driver from Tomcat's class loader; the WAR has none.
        Files.copy(jar(org.postgresql.Driver.class), tomcat.base().resolve("lib/postgresql.jar"));
        writeWar(tomcat.base().resolve("webapps/ROOT.war"), Path.of("src/test/tomcat/jndi/WEB-INF/web.xml"),
                Path.of("src/test/tomcat/jndi/META-INF/context.xml"), runtimeLibraries());

        deployAndServe();
    }

    private void deployAndServe() throws Exception {
        // The servlet does not answer GET: 405 means the application is deployed and the filter let it through.
        tomcat.start("/orders", 405);

        HttpResponse<String> first = post("tomcat-1", "tea");
        HttpResponse<String> replay = post("tomcat-1", "tea");
        HttpResponse<String> reused = post("tomcat-1", "coffee");
        HttpResponse<String> keyless = post(null, "tea");

        tomcat.assertStatus(201, first);
        assertFalse(first.headers().firstValue(IdempotencyHeaders.REPLAYED).isPresent());
        tomcat.assertStatus(201, replay);
        assertEquals("true", replay.headers().firstValue(IdempotencyHeaders.REPLAYED).orElse(null));
        assertEquals(first.body(), replay.body());
        assertEquals(1, orders("tea"), "the replay wrote nothing");
        tomcat.assertStatus(422, reused);
        tomcat.assertStatus(400, keyless);
        assertEquals(0, orders("coffee"));

        tomcat.stop();
        String logs = tomcat.logs();
        Matcher startup = Pattern.compile("Server startup in \\[(\\d+)] milliseconds").matcher(logs);
        assertTrue(startup.find(), tomcat.logTail());
        for (String leak : List.of("appears to have started a thread", "failed to unregister it",
                "was started but has failed to stop", "memory leak", "SEVERE")) {
            assertFalse(logs.contains(leak), "Tomcat warns: " + leak + "\n" + tomcat.logTail());
        }
        assertTrue(tomcat.startedIn().compareTo(Duration.ofSeconds(60)) < 0, tomcat.startedIn().toString());
    }

    private static String orEmpty(String value) {
        return value == null ? "" : value;
    }

    private HttpResponse<String> post(String key, String item) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(tomcat.uri("/orders")).timeout(Duration.ofSeconds(30))
                .header("X-Api-Key", "tomcat-client").header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(item));
        if (key != null) {
            request.header("Idempotency-Key", key);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private int orders(String item) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM web_orders WHERE item = '" + item + "'")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /**
     * What {@code WEB-INF/lib} needs at run time besides a driver: idempotency-servlet and idempotency-jdbc, and
     * what they depend on (idempotency-core, Jackson, HikariCP, SLF4J's API, Flyway and its PostgreSQL support).
     */
    private static List<Class<?>> runtimeLibraries() {
        return List.of(IdempotencyFilter.class, JdbcIdempotencyStore.class, IdempotencyConfig.class,
                JsonFactory.class, HikariDataSource.class, LoggerFactory.class, Flyway.class,
                PostgreSQLConfigurationExtension.class, CockroachDBDatabaseType.class);
    }

    /** The WAR: the web.xml as it is, the application's servlet, and a jar for each library. */
    private static void writeWar(Path war, Path webXml, Path contextXml, List<Class<?>> libraries) throws Exception {
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(war))) {
            add(out, "WEB-INF/web.xml", Files.readAllBytes(webXml));
            if (contextXml != null) {
                add(out, "META-INF/context.xml", Files.readAllBytes(contextXml));
            }
            String servlet = WebXmlOrdersServlet.class.getName().replace('.', '/') + ".class";
            add(out, "WEB-INF/classes/" + servlet, WebXmlOrdersServlet.class.getResourceAsStream("/" + servlet)
                    .readAllBytes());
            for (Class<?> library : libraries) {
                Path jar = jar(library);
                add(out, "WEB-INF/lib/" + jar.getFileName(), Files.readAllBytes(jar));
            }
        }
    }

    private static void add(ZipOutputStream out, String name, byte[] content) throws IOException {
        out.putNextEntry(new ZipEntry(name));
        out.write(content);
        out.closeEntry();
    }

    /**
     * The jar {@code type} comes from. A module of this build may be its {@code target/classes} (in a reactor
     * run that stops before {@code package}): it is packed into a jar named after the module.
     */
    private static Path jar(Class<?> type) throws IOException, URISyntaxException {
        Path location = Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (Files.isRegularFile(location)) {
            return location;
        }
        Path jar = RUNS.resolve("jars").resolve(location.getParent().getParent().getFileName() + ".jar");
        Files.createDirectories(jar.getParent());
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(jar));
                Stream<Path> files = Files.walk(location)) {
            for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                add(out, location.relativize(file).toString().replace('\\', '/'), Files.readAllBytes(file));
            }
        }
        return jar;
    }
}
