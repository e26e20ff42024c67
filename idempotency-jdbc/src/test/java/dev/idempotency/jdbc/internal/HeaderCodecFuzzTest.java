package dev.idempotency.jdbc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.idempotency.Header;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzzes the codec of stored response headers: any header list a handler sets comes back from the store as
 * it went in (order, repeats, case, any characters), and a stored text that is not the codec's form is
 * refused with {@link IllegalStateException}, never another exception.
 */
class HeaderCodecFuzzTest {

    @FuzzTest
    void decodeOfEncodeIsTheSameHeaders(FuzzedDataProvider data) {
        List<Header> headers = new ArrayList<>();
        int count = data.consumeInt(0, 12);
        for (int i = 0; i < count; i++) {
            headers.add(new Header(data.consumeString(40), data.consumeString(200)));
        }
        assertEquals(headers, HeaderCodec.decode(HeaderCodec.encode(headers)));
    }

    @FuzzTest
    void decodeRefusesOnlyWithIllegalState(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        try {
            HeaderCodec.decode(text);
        } catch (IllegalStateException refused) {
            // The documented refusal of a corrupt stored row.
        }
    }
}
