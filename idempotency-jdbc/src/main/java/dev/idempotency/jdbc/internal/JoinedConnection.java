package dev.idempotency.jdbc.internal;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * A handle on the idempotent request's connection, given to application code. Closing it releases only
 * the handle. Ending the transaction is refused: the filter commits the handler's writes together with the
 * stored outcome, and a handler that committed on its own would make its effect durable without the
 * outcome, so a retry would repeat it. Savepoints work as usual.
 */
public final class JoinedConnection implements InvocationHandler {

    private final Connection target;
    private boolean closed;

    private JoinedConnection(Connection target) {
        this.target = target;
    }

    /** A new handle on {@code target}. */
    public static Connection wrap(Connection target) {
        return (Connection) Proxy.newProxyInstance(JoinedConnection.class.getClassLoader(),
                new Class<?>[] {Connection.class}, new JoinedConnection(target));
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        String name = method.getName();
        int arity = args == null ? 0 : args.length;
        switch (name) {
            case "equals":
                return proxy == args[0];
            case "hashCode":
                return System.identityHashCode(proxy);
            case "toString":
                return "JoinedConnection[" + target + (closed ? ", closed" : "") + "]";
            case "close":
                closed = true;
                return null;
            case "isClosed":
                return closed || target.isClosed();
            default:
                break;
        }
        if (closed) {
            throw new SQLException("This connection handle was closed", "08003");
        }
        switch (name) {
            case "commit":
                throw new SQLException("commit() is not allowed inside an idempotent request: the request's "
                        + "transaction commits once, with the stored response, after the handler returns.", "25000");
            case "rollback":
                if (arity == 0) {
                    throw new SQLException("rollback() is not allowed inside an idempotent request: throw an "
                            + "exception from the handler (or answer with a status that is not stored) to roll back "
                            + "the request's transaction and free its key; use a savepoint to undo part of it.",
                            "25000");
                }
                break;
            case "setAutoCommit":
                if (Boolean.TRUE.equals(args[0])) {
                    throw new SQLException("setAutoCommit(true) is not allowed inside an idempotent request: it "
                            + "would commit the request's transaction before its response is stored.", "25000");
                }
                return null;
            case "getAutoCommit":
                return false;
            case "unwrap":
                if (((Class<?>) args[0]).isInstance(proxy)) {
                    return proxy;
                }
                break;
            case "isWrapperFor":
                if (((Class<?>) args[0]).isInstance(proxy)) {
                    return true;
                }
                break;
            default:
                break;
        }
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
