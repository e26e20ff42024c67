package dev.idempotency.webhooks;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Standard Webhooks v1 signatures computed by programs that share no code with this library: OpenSSL (with
 * coreutils to decode the secret and encode the result) and Python's {@code hmac} module. Each is given the
 * secret in its {@code whsec_} text form, the id and the timestamp as text, and the raw body on standard input,
 * and builds the signed content {@code {id}.{timestamp}.{body}} itself.
 *
 * <p>The tools exist on the build machine and on CI; a missing tool fails the test with a message saying what
 * to install, it never skips it.
 */
final class IndependentSignatures {

    /**
     * A POSIX shell pipeline: the secret's base64 decoded by {@code base64 -d} and turned into hex by {@code od},
     * the content assembled by {@code printf} and {@code cat}, the MAC by {@code openssl dgst -hmac}, and the
     * result encoded by {@code base64}.
     */
    private static final String OPENSSL_SCRIPT = String.join("\n",
            "set -eu",
            "key_hex=$(printf '%s' \"${SECRET#whsec_}\" | base64 -d | od -An -v -tx1 | tr -d ' \\n')",
            "mac=$({ printf '%s.%s.' \"$WEBHOOK_ID\" \"$WEBHOOK_TIMESTAMP\"; cat; }"
                    + " | openssl dgst -sha256 -mac HMAC -macopt \"hexkey:$key_hex\" -binary | base64)",
            "printf 'v1,%s' \"$mac\"");

    private static final String PYTHON_SCRIPT = String.join("\n",
            "import base64, hashlib, hmac, os, sys",
            "secret = os.environ['SECRET']",
            "assert secret.startswith('whsec_')",
            "key = base64.b64decode(secret[len('whsec_'):], validate=True)",
            "content = (os.environ['WEBHOOK_ID'] + '.' + os.environ['WEBHOOK_TIMESTAMP'] + '.').encode('ascii')"
                    + " + sys.stdin.buffer.read()",
            "sys.stdout.write('v1,' + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode())");

    private IndependentSignatures() {
    }

    /** The {@code v1,...} signature computed with OpenSSL. */
    static String openssl(String secret, String id, long timestamp, byte[] body) {
        return run("openssl (and the POSIX tools sh, base64, od, tr)", List.of("sh", "-c", OPENSSL_SCRIPT),
                secret, id, timestamp, body);
    }

    /** The {@code v1,...} signature computed with Python's hmac module. */
    static String python(String secret, String id, long timestamp, byte[] body) {
        return run("python3", List.of("python3", "-c", PYTHON_SCRIPT), secret, id, timestamp, body);
    }

    private static String run(String tool, List<String> command, String secret, String id, long timestamp,
            byte[] body) {
        ProcessBuilder builder = new ProcessBuilder(command);
        Map<String, String> environment = builder.environment();
        // The secret travels in the environment, not on a command line other processes can read.
        environment.put("SECRET", secret);
        environment.put("WEBHOOK_ID", id);
        environment.put("WEBHOOK_TIMESTAMP", Long.toString(timestamp));
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            return fail("This interoperability test needs " + tool + " on the PATH (it is installed on the build "
                    + "machine and on CI); install it and run again. Starting " + command.get(0) + " failed: "
                    + e.getMessage(), e);
        }
        try {
            CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
            CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()));
            try (OutputStream in = process.getOutputStream()) {
                in.write(body);
            }
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return fail(tool + " did not finish within 60 seconds");
            }
            String stdout = new String(out.get(), StandardCharsets.US_ASCII).trim();
            String stderr = new String(err.get(), StandardCharsets.UTF_8).trim();
            if (process.exitValue() != 0) {
                return fail(tool + " failed with exit code " + process.exitValue()
                        + (process.exitValue() == 127 ? " (command not found: install " + tool + ")" : "") + ": " + stderr);
            }
            if (!stdout.startsWith("v1,") || stdout.length() != 47) {
                return fail(tool + " printed no signature: '" + stdout + "'; stderr: " + stderr);
            }
            return stdout;
        } catch (Exception e) {
            process.destroyForcibly();
            return fail("Running " + tool + " failed: " + e, e);
        }
    }

    private static byte[] readAll(InputStream stream) {
        try (InputStream in = stream; ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            in.transferTo(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
