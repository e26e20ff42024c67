package dev.idempotency.client;

import java.net.http.HttpHeaders;

/**
 * 422: the key was used before for another request (another method, path, query or body). The call's
 * effect did not take place under this key: either the key was reused by mistake (give each logical action
 * its own), or the request changed between attempts of one action (send the same bytes every time).
 */
public final class KeyReusedException extends RequestRefusedException {

    private static final long serialVersionUID = 1L;

    KeyReusedException(String message, String key, int attempts, HttpHeaders headers, byte[] body,
            Problem problem) {
        super(message, key, attempts, 422, headers, body, problem);
    }
}
