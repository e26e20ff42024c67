package dev.idempotency.testing;

import java.io.File;
import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One of the library's modules resolved as a named module, in a layer of its own, on a module path made of
 * entries of the test's class path: the check that a module's tests, which run on the class path, cannot make
 * (a {@code requires} left out, a package exported that should not be, a type that does not load there).
 *
 * <pre>{@code
 * Module module = ModulePath.resolve("dev.idempotency.caffeine",
 *         Pattern.compile("idempotency-caffeine/target/classes$|idempotency-core(-[0-9][^/]*\\.jar|/target/classes)$"
 *                 + "|/(caffeine|jackson-(core|databind|annotations))-[0-9][^/]*\\.jar$"));
 * assertEquals(Set.of("dev.idempotency.caffeine"), ModulePath.exports(module));
 * }</pre>
 */
public final class ModulePath {

    /**
     * Class-path entries of {@code dev.idempotency.jdbc} and of everything it requires, directly or transitively,
     * for a module built on it to add its own entries to (joined with {@code |}).
     */
    public static final String JDBC_AND_ITS_DEPENDENCIES = "idempotency-(core|jdbc)(-[0-9][^/]*\\.jar|/target/classes)$"
            + "|/(jackson-(core|databind|annotations)|HikariCP|slf4j-api|flyway-core|flyway-database-postgresql"
            + "|flyway-mysql|commons-text|commons-lang3)-[0-9][^/]*\\.jar$";

    private ModulePath() {
    }

    /**
     * Resolves {@code moduleName} on the class-path entries that {@code entries} finds (in paths written with
     * {@code /}), defines it and what it reads in a new layer, and returns it.
     *
     * @throws AssertionError if the module is not among the entries, has no descriptor of its own, or does not
     *     resolve (the message names the module path)
     */
    public static Module resolve(String moduleName, Pattern entries) {
        List<Path> modulePath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> entries.matcher(entry.replace(File.separatorChar, '/')).find())
                .map(Path::of).collect(Collectors.toList());
        ModuleFinder finder = ModuleFinder.of(modulePath.toArray(Path[]::new));
        ModuleDescriptor descriptor = finder.find(moduleName)
                .orElseThrow(() -> new AssertionError("No module " + moduleName + " on " + modulePath))
                .descriptor();
        if (descriptor.isAutomatic()) {
            throw new AssertionError(moduleName + " has no module descriptor of its own: " + modulePath);
        }
        Configuration configuration;
        try {
            configuration = ModuleLayer.boot().configuration().resolve(finder, ModuleFinder.of(), Set.of(moduleName));
        } catch (RuntimeException e) {
            throw new AssertionError(moduleName + " does not resolve on " + modulePath + ": " + e.getMessage(), e);
        }
        ModuleLayer layer = ModuleLayer.boot().defineModulesWithOneLoader(configuration,
                ClassLoader.getPlatformClassLoader());
        return layer.findModule(moduleName).orElseThrow();
    }

    /** The packages {@code module} exports to everyone. */
    public static Set<String> exports(Module module) {
        return module.getDescriptor().exports().stream().filter(export -> !export.isQualified())
                .map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());
    }

    /**
     * Loads {@code className} through {@code module}'s layer, initialised.
     *
     * @throws AssertionError if it does not load, or loads from another module
     */
    public static Class<?> load(Module module, String className) {
        Class<?> loaded;
        try {
            loaded = Class.forName(className, true, module.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new AssertionError(className + " does not load in " + module.getName() + ": " + e, e);
        }
        if (loaded.getModule() != module) {
            throw new AssertionError(className + " loaded from " + loaded.getModule() + ", not " + module.getName());
        }
        return loaded;
    }
}
