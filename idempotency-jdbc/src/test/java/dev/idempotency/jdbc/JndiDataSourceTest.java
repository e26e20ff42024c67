package dev.idempotency.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.testing.H2DatabaseExtension;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.naming.Context;
import javax.naming.NameNotFoundException;
import javax.naming.spi.InitialContextFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A store on a DataSource the container binds in JNDI, as a servlet container's {@code java:comp/env} does. */
class JndiDataSourceTest {

    @RegisterExtension
    final H2DatabaseExtension db = H2DatabaseExtension.create();

    private String previousFactory;

    @BeforeEach
    void installNaming() {
        previousFactory = System.getProperty(Context.INITIAL_CONTEXT_FACTORY);
        System.setProperty(Context.INITIAL_CONTEXT_FACTORY, Bindings.class.getName());
    }

    @AfterEach
    void removeNaming() {
        Bindings.BOUND.clear();
        if (previousFactory == null) {
            System.clearProperty(Context.INITIAL_CONTEXT_FACTORY);
        } else {
            System.setProperty(Context.INITIAL_CONTEXT_FACTORY, previousFactory);
        }
    }

    @Test
    void looksTheDataSourceUpWithOrWithoutTheEnvironmentPrefixAndLeavesItOpen() throws Exception {
        Bindings.BOUND.put("java:comp/env/jdbc/orders", db.dataSource());

        for (String name : new String[] {"jdbc/orders", "java:comp/env/jdbc/orders"}) {
            JdbcIdempotencyStore store = JdbcIdempotencyStore.builder().jndiDataSource(name).build();
            assertEquals(DatabaseEngine.H2, store.engine());
            store.close();
        }
        try (Connection c = db.dataSource().getConnection()) {
            assertTrue(c.isValid(1), "the container's DataSource stays open");
        }
    }

    @Test
    void nameThatIsNotBoundIsRefusedNamingIt() {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> JdbcIdempotencyStore.builder().jndiDataSource("jdbc/missing").build());

        assertEquals("jndiDataSource", e.setting());
        assertEquals("java:comp/env/jdbc/missing", e.value());
        assertTrue(e.getMessage().contains("NameNotFoundException"), e.getMessage());
    }

    @Test
    void nameOfSomethingElseIsRefusedNamingWhatItIs() {
        Bindings.BOUND.put("java:comp/env/jdbc/orders", "jdbc:h2:mem:orders");

        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> JdbcIdempotencyStore.builder().jndiDataSource("jdbc/orders").build());

        assertTrue(e.getMessage().contains("java:comp/env/jdbc/orders") && e.getMessage().contains("java.lang.String"),
                e.getMessage());
    }

    @Test
    void blankNameIsRefusedAtOnce() {
        assertThrows(IdempotencyConfigException.class, () -> JdbcIdempotencyStore.builder().jndiDataSource(" "));
    }

    /** A naming context holding {@link #BOUND}, and nothing else. */
    public static final class Bindings implements InitialContextFactory {

        static final Map<String, Object> BOUND = new ConcurrentHashMap<>();

        @Override
        public Context getInitialContext(Hashtable<?, ?> environment) {
            return (Context) Proxy.newProxyInstance(Context.class.getClassLoader(), new Class<?>[] {Context.class},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "lookup" -> {
                            Object found = BOUND.get(String.valueOf(args[0]));
                            if (found == null) {
                                throw new NameNotFoundException("Name [" + args[0] + "] is not bound");
                            }
                            yield found;
                        }
                        case "close" -> null;
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
        }
    }
}
