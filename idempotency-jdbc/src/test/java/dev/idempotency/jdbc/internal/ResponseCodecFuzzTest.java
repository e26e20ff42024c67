package dev.idempotency.jdbc.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.idempotency.Header;
import dev.idempotency.StoredResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzzes the stored outcome's column: any headers and body a handler produces come back as they went in (each
 * string as UTF-8 keeps it), and bytes that are not a stored outcome are refused with
 * {@link IllegalStateException}, never another exception.
 */
class ResponseCodecFuzzTest {

    @FuzzTest
    void decodeOfEncodeIsTheSameOutcome(FuzzedDataProvider data) {
        List<Header> headers = new ArrayList<>();
        List<Header> expected = new ArrayList<>();
        int count = data.consumeInt(0, 12);
        for (int i = 0; i < count; i++) {
            String name = data.pickValue(List.of("Content-Type", "Location", "location", "X-Any", data.consumeString(40)));
            String value = data.consumeString(200);
            headers.add(new Header(name, value));
            expected.add(new Header(throughUtf8(name), throughUtf8(value)));
        }
        byte[] body = data.consumeRemainingAsBytes();
        StoredResponse decoded = ResponseCodec.decode(200, ResponseCodec.encode(StoredResponse.of(200, headers, body)));
        assertEquals(expected, decoded.headers());
        assertArrayEquals(body, decoded.body());
    }

    @FuzzTest
    void decodeRefusesOnlyWithIllegalState(byte[] data) {
        try {
            ResponseCodec.decode(200, data);
        } catch (IllegalStateException refused) {
            // The documented refusal of a damaged stored row.
        }
    }

    private static String throughUtf8(String value) {
        return new String(value.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    }
}
