package dev.idempotency.adapter;

/**
 * Runs the application's handler for a request and captures its complete response.
 */
@FunctionalInterface
public interface RequestHandler {

    /**
     * @param body the request body, already read (the adapter hands it to the application again)
     * @return the captured response; nothing of it has been sent yet
     * @throws Exception whatever the handler throws; the protocol rolls back and rethrows it
     */
    HandlerResponse handle(byte[] body) throws Exception;
}
