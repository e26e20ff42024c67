package dev.idempotency.jdbc.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.Header;
import dev.idempotency.StoredResponse;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResponseCodecTest {

    private static final byte[] BODY = "{\"id\":1,\"content\":\"hello\"}".getBytes(StandardCharsets.UTF_8);

    @Test
    void aTypicalOutcomeTakesItsBodyAndThirtyBytes() {
        StoredResponse response = StoredResponse.of(201, List.of(new Header("Content-Type", "application/json"),
                new Header("Location", "/posts/1")), BODY);
        byte[] stored = ResponseCodec.encode(response);
        // format, count, (code, length, 16 bytes), (code, length, 8 bytes): 30 bytes beside the body, where the
        // JSON of the previous format took 61, in a column of its own.
        assertEquals(BODY.length + 30, stored.length);
        assertEquals(response, ResponseCodec.decode(201, stored));
    }

    @Test
    void orderRepeatsCaseAndCharactersComeBack() {
        List<Header> headers = List.of(new Header("X-Trace", "a"), new Header("content-type", "text/plain; charset=utf-8"),
                new Header("x-trace", "b"), new Header("X-Trace", "caf\u00e9 \u2713 \ud83d\ude00"), new Header("Empty", ""),
                new Header("Set-Cookie", "n=v"), new Header("X-Long", "v".repeat(70_000)));
        StoredResponse response = StoredResponse.of(200, headers, new byte[0]);
        StoredResponse decoded = ResponseCodec.decode(200, ResponseCodec.encode(response));
        assertEquals(headers, decoded.headers());
        assertArrayEquals(new byte[0], decoded.body());
    }

    @Test
    void aLoneSurrogateComesBackAsAQuestionMarkAsThroughATextColumn() {
        StoredResponse response = StoredResponse.of(200, List.of(new Header("X-Odd", "a\ud800b")), BODY);
        assertEquals(List.of(new Header("X-Odd", "a?b")), ResponseCodec.decode(200, ResponseCodec.encode(response)).headers());
    }

    @Test
    void everyWellKnownNameIsCodedInOneByteAndNoneTwice() {
        assertEquals(ResponseCodec.WELL_KNOWN.size(), ResponseCodec.WELL_KNOWN.stream().distinct().count());
        assertTrue(ResponseCodec.WELL_KNOWN.size() < 255);
        for (String name : ResponseCodec.WELL_KNOWN) {
            StoredResponse response = StoredResponse.of(200, List.of(new Header(name, "v")), new byte[0]);
            byte[] stored = ResponseCodec.encode(response);
            assertEquals(5, stored.length, name);
            assertEquals(response, ResponseCodec.decode(200, stored));
        }
    }

    /** Format 0 is what the migration V6 builds in SQL from the previous columns. */
    @Test
    void theMigratedFormatIsTheHeadersJsonAZeroByteAndTheBody() {
        List<Header> headers = List.of(new Header("Content-Type", "application/json"), new Header("X-Note", "\u00fc"));
        byte[] body = {0, 1, 2, (byte) 0xFF, 0};
        ByteArrayOutputStream migrated = new ByteArrayOutputStream();
        migrated.write(0);
        migrated.writeBytes(HeaderCodec.encode(headers).getBytes(StandardCharsets.UTF_8));
        migrated.write(0);
        migrated.writeBytes(body);
        StoredResponse decoded = ResponseCodec.decode(202, migrated.toByteArray());
        assertEquals(202, decoded.status());
        assertEquals(headers, decoded.headers());
        assertArrayEquals(body, decoded.body());
    }

    @Test
    void aDamagedRowIsRefusedWithIllegalState() {
        byte[] stored = ResponseCodec.encode(StoredResponse.of(200, List.of(new Header("X-A", "value")), BODY));
        List<byte[]> damaged = new ArrayList<>();
        damaged.add(new byte[0]);
        damaged.add(new byte[] {7});
        damaged.add(new byte[] {0, '[', ']'});
        damaged.add(new byte[] {1, 1, (byte) 200, 0});
        damaged.add(new byte[] {1, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0x7F});
        damaged.add(java.util.Arrays.copyOf(stored, 6));
        for (byte[] bytes : damaged) {
            assertThrows(IllegalStateException.class, () -> ResponseCodec.decode(200, bytes));
        }
        IllegalStateException later = assertThrows(IllegalStateException.class,
                () -> ResponseCodec.decode(200, new byte[] {9}));
        assertTrue(later.getMessage().contains("later release"), later.getMessage());
    }
}
