package dev.idempotency.jdbc.internal;

import java.sql.SQLException;

/**
 * Where a component's transactions come from: which connection carries each, and how it begins. The store's
 * claims in transaction mode take theirs from one of these, {@link LocalTransactions} on the store's pool,
 * so that a framework's transaction manager can be put in its place (the claim's statements, the handler's
 * writes and the outcome then run on the connection the framework binds) without a change to the claim, the
 * store or the dialects.
 */
@FunctionalInterface
public interface Transactions {

    /**
     * Begins a transaction.
     *
     * @throws SQLException if no connection could be had or set up; nothing is left open
     */
    Transaction begin() throws SQLException;
}
