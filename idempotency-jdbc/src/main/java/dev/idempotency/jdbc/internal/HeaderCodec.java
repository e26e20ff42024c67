package dev.idempotency.jdbc.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.idempotency.Header;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Stored headers as a JSON array of {@code [name, value]} pairs: it keeps order, repeats and the case of
 * names, and stays readable in a SQL console.
 */
public final class HeaderCodec {

    private static final JsonFactory JSON = JsonFactory.builder().build();

    private HeaderCodec() {
    }

    public static String encode(List<Header> headers) {
        StringWriter out = new StringWriter(32 + headers.size() * 48);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartArray();
            for (Header header : headers) {
                json.writeStartArray();
                json.writeString(header.name());
                json.writeString(header.value());
                json.writeEndArray();
            }
            json.writeEndArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    public static List<Header> decode(String text) {
        List<Header> headers = new ArrayList<>();
        if (text == null || text.isEmpty()) {
            return headers;
        }
        try (JsonParser json = JSON.createParser(text)) {
            expect(json.nextToken(), JsonToken.START_ARRAY, text);
            JsonToken token;
            while ((token = json.nextToken()) == JsonToken.START_ARRAY) {
                expect(json.nextToken(), JsonToken.VALUE_STRING, text);
                String name = json.getText();
                expect(json.nextToken(), JsonToken.VALUE_STRING, text);
                String value = json.getText();
                expect(json.nextToken(), JsonToken.END_ARRAY, text);
                headers.add(new Header(name, value));
            }
            expect(token, JsonToken.END_ARRAY, text);
        } catch (IOException e) {
            throw new IllegalStateException("Stored response headers are not valid JSON: " + text, e);
        }
        return headers;
    }

    private static void expect(JsonToken actual, JsonToken expected, String text) {
        if (actual != expected) {
            throw new IllegalStateException("Stored response headers are not a JSON array of [name, value] pairs: "
                    + text);
        }
    }
}
