package dev.idempotency.spring.boot.autoconfigure;

import java.io.IOException;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.springframework.core.io.support.ResourcePatternResolver;
import org.springframework.util.ClassUtils;

/**
 * Keeps Spring Boot's own Flyway off when the application has no migrations for it, unless the application
 * says otherwise ({@code spring.flyway.enabled}).
 *
 * <p>The library keeps its tables with Flyway, so adding the starter puts {@code flyway-core} on the class path,
 * and on Spring Boot 3.5 that alone switches on Boot's Flyway for the application's DataSource. An application
 * that never used Flyway, on an existing database, would then fail at start ("Found non-empty schema(s) ... but
 * no schema history table") for migrations it does not have. With no migration at Boot's locations
 * ({@code spring.flyway.locations}, {@code classpath:db/migration} by default), Boot's Flyway has nothing to
 * do, so turning it off changes nothing else. A location outside the class path, or with a placeholder, leaves
 * Boot alone.
 */
class FlywayWithoutMigrationsEnvironmentPostProcessor implements EnvironmentPostProcessor {

    /** Boot's Flyway auto-configuration on 3.5 and on 4.0 (where it comes with spring-boot-flyway). */
    private static final String[] BOOT_FLYWAY = {
        "org.springframework.boot.autoconfigure.flyway.FlywayAutoConfiguration",
        "org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration"};

    private static final String CLASSPATH = "classpath:";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        ClassLoader classLoader = application.getClassLoader();
        if (!bootFlywayPresent(classLoader) || environment.containsProperty("spring.flyway.enabled")
                || !environment.getProperty("idempotency.enabled", Boolean.class, true)) {
            return;
        }
        String[] locations = environment.getProperty("spring.flyway.locations", String[].class,
                new String[] {"classpath:db/migration"});
        ResourcePatternResolver resources = new PathMatchingResourcePatternResolver(classLoader);
        for (String location : locations) {
            String trimmed = location.trim();
            if (!trimmed.startsWith(CLASSPATH) || trimmed.contains("{")) {
                return;
            }
            if (hasMigrations(resources, trimmed.substring(CLASSPATH.length()))) {
                return;
            }
        }
        environment.getPropertySources().addLast(new MapPropertySource("idempotencyFlywayWithoutMigrations",
                Map.of("spring.flyway.enabled", "false")));
    }

    private static boolean bootFlywayPresent(ClassLoader classLoader) {
        for (String name : BOOT_FLYWAY) {
            if (ClassUtils.isPresent(name, classLoader)) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasMigrations(ResourcePatternResolver resources, String folder) {
        String base = "classpath*:" + (folder.startsWith("/") ? folder.substring(1) : folder);
        try {
            return resources.getResources(base + "/**/*.sql").length > 0
                    || resources.getResources(base + "/**/*.class").length > 0;
        } catch (IOException e) {
            return true; // cannot tell: leave Boot as it is
        }
    }
}
