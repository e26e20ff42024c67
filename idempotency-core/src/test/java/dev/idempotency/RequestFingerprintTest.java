package dev.idempotency;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RequestFingerprintTest {

    private static final String JSON = "application/json";

    private static RequestFingerprint json(String body) {
        return RequestFingerprint.of("POST", "/orders", null, JSON, body.getBytes(UTF_8));
    }

    private static RequestFingerprint query(String rawQuery) {
        return RequestFingerprint.of("POST", "/orders", rawQuery, null, new byte[0]);
    }

    private static RequestFingerprint typed(String contentType, String body) {
        return RequestFingerprint.of("POST", "/orders", null, contentType, body.getBytes(UTF_8));
    }

    private static MalformedRequestBodyException malformed(String body) {
        return assertThrows(MalformedRequestBodyException.class, () -> json(body),
                () -> "expected a malformed-body error for "
                        + (body.length() > 60 ? body.substring(0, 60) + "... (" + body.length() + " chars)" : body));
    }

    // --- JSON canonicalisation -------------------------------------------------------------------

    @Test
    void jsonMemberOrderDoesNotChangeTheFingerprint() {
        assertEquals(json("{\"amount\":10,\"currency\":\"EUR\"}"), json("{\"currency\":\"EUR\",\"amount\":10}"));
    }

    @Test
    void jsonWhitespaceDoesNotChangeTheFingerprint() {
        assertEquals(json("{\"a\":[1,2],\"b\":true}"),
                json(" {\n  \"a\" : [ 1 ,\t2 ] ,\r\n  \"b\" : true\n}\n "));
    }

    @Test
    void nestedObjectMemberOrderAndWhitespaceDoNotChangeTheFingerprint() {
        String a = "{\"order\":{\"lines\":[{\"sku\":\"x\",\"qty\":1},{\"sku\":\"y\",\"qty\":2}],\"to\":{\"city\":\"Oslo\","
                + "\"zip\":\"0150\"}},\"meta\":null}";
        String b = "{ \"meta\" : null, \"order\" : { \"to\" : { \"zip\" : \"0150\", \"city\" : \"Oslo\" },\n"
                + "  \"lines\" : [ { \"qty\" : 1, \"sku\" : \"x\" }, { \"qty\" : 2, \"sku\" : \"y\" } ] } }";
        assertEquals(json(a), json(b));
    }

    @Test
    void jsonArrayOrderMatters() {
        assertNotEquals(json("[1,2]"), json("[2,1]"));
        assertNotEquals(json("{\"a\":[{\"x\":1},{\"y\":2}]}"), json("{\"a\":[{\"y\":2},{\"x\":1}]}"));
    }

    @Test
    void jsonNumbersCountExactlyAsSent() {
        assertNotEquals(json("{\"n\":1.0}"), json("{\"n\":1.00}"));
        assertNotEquals(json("{\"n\":1e2}"), json("{\"n\":100}"));
        assertNotEquals(json("{\"n\":1}"), json("{\"n\":1.0}"));
        assertNotEquals(json("{\"n\":1e2}"), json("{\"n\":1E2}"));
        assertEquals(json("{\"n\":1.0}"), json("{ \"n\" : 1.0 }"));
    }

    @Test
    void jsonNumberAndStringWithTheSameTextDiffer() {
        assertNotEquals(json("{\"n\":1}"), json("{\"n\":\"1\"}"));
    }

    @Test
    void jsonStringEscapesThatDecodeToTheSameStringAreEqual() {
        assertEquals(json("{\"s\":\"\\u0041\"}"), json("{\"s\":\"A\"}"));
        assertEquals(json("{\"s\":\"a\\/b\"}"), json("{\"s\":\"a/b\"}"));
        assertEquals(json("{\"s\":\"\\u00e9\"}"), json("{\"s\":\"\u00e9\"}"));
        assertEquals(json("{\"s\":\"\\ud83d\\ude00\"}"), json("{\"s\":\"\uD83D\uDE00\"}"));
        assertEquals(json("{\"\\u0061\":1}"), json("{\"a\":1}"));
    }

    @Test
    void jsonStringsThatDecodeDifferentlyDiffer() {
        assertNotEquals(json("{\"s\":\"A\"}"), json("{\"s\":\"a\"}"));
        assertNotEquals(json("{\"s\":\"a\\\\u0041\"}"), json("{\"s\":\"aA\"}"));
        assertNotEquals(json("{\"s\":\"\\ud800\"}"), json("{\"s\":\"\\\\ud800\"}"));
    }

    @Test
    void jsonStringContainingDelimitersDoesNotCollideWithStructure() {
        // {"a":"b","c":"d"} versus {"a":"b\",\"c\":\"d"} — the latter is one member with a tricky value.
        assertNotEquals(json("{\"a\":\"b\",\"c\":\"d\"}"), json("{\"a\":\"b\\\",\\\"c\\\":\\\"d\"}"));
    }

    @Test
    void jsonLiteralsAreDistinct() {
        assertNotEquals(json("{\"v\":true}"), json("{\"v\":false}"));
        assertNotEquals(json("{\"v\":null}"), json("{\"v\":\"null\"}"));
        assertNotEquals(json("{}"), json("[]"));
    }

    @Test
    void jsonDuplicateMemberNamesKeepTheirOrder() {
        assertNotEquals(json("{\"a\":1,\"a\":2}"), json("{\"a\":2,\"a\":1}"));
        assertEquals(json("{\"a\":1,\"b\":0,\"a\":2}"), json("{\"b\":0,\"a\":1,\"a\":2}"));
    }

    @Test
    void jsonScalarRootsAreAccepted() {
        assertEquals(json("\"x\""), json(" \"x\" "));
        assertEquals(json("42"), json("42\n"));
        assertNotEquals(json("42"), json("\"42\""));
    }

    // --- method, path, query, body ---------------------------------------------------------------

    @Test
    void differentMethodsDiffer() {
        assertNotEquals(RequestFingerprint.of("POST", "/a", null, null, new byte[0]),
                RequestFingerprint.of("PATCH", "/a", null, null, new byte[0]));
    }

    @Test
    void differentPathsDiffer() {
        assertNotEquals(RequestFingerprint.of("POST", "/a", null, null, new byte[0]),
                RequestFingerprint.of("POST", "/b", null, null, new byte[0]));
        assertNotEquals(RequestFingerprint.of("POST", "/a", null, null, new byte[0]),
                RequestFingerprint.of("POST", "/a/", null, null, new byte[0]));
    }

    @Test
    void nullPathEqualsEmptyPath() {
        assertEquals(RequestFingerprint.of("POST", null, null, null, new byte[0]),
                RequestFingerprint.of("POST", "", null, null, new byte[0]));
    }

    @Test
    void differentQueriesDiffer() {
        assertNotEquals(query("a=1"), query("a=2"));
        assertNotEquals(query("a=1"), query("b=1"));
        assertNotEquals(query("a=1"), query(null));
        assertNotEquals(query("a=1&b=2"), query("a=1"));
    }

    @Test
    void nullQueryEqualsEmptyQuery() {
        assertEquals(query(null), query(""));
    }

    @Test
    void fieldBoundariesCannotBeShiftedBetweenMethodAndPath() {
        assertNotEquals(RequestFingerprint.of("POST", "/a", null, null, new byte[0]),
                RequestFingerprint.of("POST/", "a", null, null, new byte[0]));
    }

    @Test
    void fieldBoundariesCannotBeShiftedBetweenQueryNameAndValue() {
        assertNotEquals(query("ab=c"), query("a=bc"));
    }

    @Test
    void differentBodiesDiffer() {
        assertNotEquals(json("{\"a\":1}"), json("{\"a\":2}"));
        assertNotEquals(typed("text/plain", "hello"), typed("text/plain", "hallo"));
    }

    @Test
    void emptyBodyDiffersFromNonEmptyBody() {
        assertNotEquals(typed("text/plain", ""), typed("text/plain", " "));
        assertNotEquals(typed(JSON, ""), typed(JSON, "{}"));
    }

    @Test
    void queryParameterOrderDoesNotMatter() {
        assertEquals(query("a=1&b=2&c=3"), query("c=3&a=1&b=2"));
    }

    @Test
    void valuesOfARepeatedParameterKeepTheirOrder() {
        assertNotEquals(query("a=1&a=2"), query("a=2&a=1"));
        assertEquals(query("a=1&b=0&a=2"), query("b=0&a=1&a=2"));
    }

    @Test
    void plusAndPercent20AreEqualInQuery() {
        assertEquals(query("q=hello+world"), query("q=hello%20world"));
        assertEquals(query("q+x=1"), query("q%20x=1"));
    }

    @Test
    void percentEncodedAndLiteralCharactersAreEqualInQuery() {
        assertEquals(query("name=%C3%A9t%C3%A9"), query("name=\u00e9t\u00e9"));
        assertEquals(query("a=%41"), query("a=A"));
        assertEquals(query("a=%4a"), query("a=%4A"));
    }

    @Test
    void encodedPlusDiffersFromSpaceInQuery() {
        assertNotEquals(query("q=a%2Bb"), query("q=a+b"));
    }

    @Test
    void encodedAmpersandAndEqualsStayInsideTheValue() {
        assertNotEquals(query("a=1%262"), query("a=1&2"));
        assertNotEquals(query("a=b%3Dc"), query("a%3Db=c"));
    }

    @Test
    void undecodablePercentEscapesAreKeptLiterally() {
        assertEquals(query("a=%"), query("a=%25"));
        assertEquals(query("a=%zz"), query("a=%25zz"));
        assertEquals(query("a=%4"), query("a=%254"));
    }

    @Test
    void parameterWithoutValueEqualsParameterWithEmptyValue() {
        assertEquals(query("flag"), query("flag="));
    }

    @Test
    void emptyQuerySegmentsAreIgnored() {
        assertEquals(query("a=1&&b=2&"), query("a=1&b=2"));
    }

    // --- content types -------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"application/json", "application/problem+json", "application/json; charset=utf-8",
        "APPLICATION/JSON", "Application/Json;charset=UTF-8", " application/json ", "application/vnd.api+json",
        "application/merge-patch+json"})
    void jsonContentTypesAreCanonicalised(String contentType) {
        RequestFingerprint compact = typed(contentType, "{\"a\":1,\"b\":2}");
        RequestFingerprint reordered = typed(contentType, "{ \"b\" : 2 , \"a\" : 1 }");
        assertEquals(compact, reordered);
    }

    @Test
    void theMediaTypeCountsSoTheSameBytesAsAnotherTypeAreAnotherRequest() {
        String body = "{\"a\":1}";
        assertNotEquals(typed("text/plain", body), typed("application/xml", body));
        assertNotEquals(typed("text/plain", body), typed("application/x-www-form-urlencoded", body));
        assertNotEquals(typed(JSON, body), typed("application/merge-patch+json", body));
        assertNotEquals(typed(JSON, body), typed("application/problem+json", body));
        assertNotEquals(typed("text/plain", body), typed(null, body));
        assertNotEquals(typed("text/plain", "hello"), typed("text/plain; charset=utf-8", "hello"),
                "a charset parameter changes what the bytes mean");
        assertNotEquals(typed("text/plain; charset=utf-8", "hello"), typed("text/plain; charset=iso-8859-1", "hello"));
    }

    @Test
    void theMediaTypeIsComparedAsRfc9110SaysWhereCaseAndSpellingDoNotMatter() {
        String body = "{\"a\":1}";
        assertEquals(typed(JSON, body), typed("APPLICATION/Json", body), "type and subtype are case-insensitive");
        assertEquals(typed(JSON, body), typed("  application/json\t", body));
        assertEquals(typed("text/plain; charset=utf-8", "hi"), typed("text/plain;CHARSET=UTF-8", "hi"),
                "parameter names and the charset value are case-insensitive");
        assertEquals(typed("text/plain; charset=utf-8", "hi"), typed("text/plain; charset=\"utf-8\"", "hi"),
                "a quoted value is its unquoted text");
        assertEquals(typed("text/plain; a=1; b=2", "hi"), typed("text/plain;b=2;a=1", "hi"),
                "parameters count by name, not by order");
        assertNotEquals(typed("text/plain; a=X", "hi"), typed("text/plain; a=x", "hi"),
                "other parameter values are case-sensitive");
        assertNotEquals(typed("text/plain; a=1", "hi"), typed("text/plain; a=1; b=", "hi"));
    }

    @Test
    void aContentTypeThatIsNotAMediaTypeCountsByItsText() {
        assertEquals(typed("not a media type", "hi"), typed(" not a media type ", "hi"));
        assertNotEquals(typed("not a media type", "hi"), typed("not another", "hi"));
        assertNotEquals(typed("text/plain;", "hi"), typed("text/plain; =", "hi"));
    }

    @Test
    void aBodyWithAContentCodingCountsByItsRawBytesAndTheCoding() {
        byte[] gzipLike = {0x1f, (byte) 0x8b, 0x08, 0x00, 0x01};
        RequestFingerprint gzip = RequestFingerprint.of(2, "POST", "/orders", null, JSON, "gzip", gzipLike);
        assertEquals(gzip, RequestFingerprint.of(2, "POST", "/orders", null, JSON, " GZIP ", gzipLike));
        assertNotEquals(gzip, RequestFingerprint.of(2, "POST", "/orders", null, JSON, "br", gzipLike));
        assertNotEquals(gzip, RequestFingerprint.of(2, "POST", "/orders", null, JSON, "gzip, br", gzipLike));
        byte[] json = "{\"a\":1}".getBytes(UTF_8);
        assertEquals(RequestFingerprint.of(2, "POST", "/orders", null, JSON, null, json),
                RequestFingerprint.of(2, "POST", "/orders", null, JSON, "identity", json), "identity is no coding");
        assertNotEquals(RequestFingerprint.of(2, "POST", "/orders", null, JSON, "gzip", json),
                RequestFingerprint.of(2, "POST", "/orders", null, JSON, "gzip", "{ \"a\" : 1 }".getBytes(UTF_8)),
                "an encoded body is not canonicalised as JSON");
    }

    @Test
    void version1IgnoresTheMediaTypeSoRecordsStoredBeforeVersion2CompareAsThenComputed() {
        byte[] body = "{\"a\":1}".getBytes(UTF_8);
        assertEquals(RequestFingerprint.of(1, "POST", "/orders", null, "text/plain", null, body),
                RequestFingerprint.of(1, "POST", "/orders", null, "application/xml", null, body));
        assertEquals(RequestFingerprint.of(1, "POST", "/orders", null, JSON, null, body),
                RequestFingerprint.of(1, "POST", "/orders", null, "application/merge-patch+json", null,
                        "{ \"a\": 1 }".getBytes(UTF_8)));
        assertNotEquals(RequestFingerprint.of(1, "POST", "/orders", null, "text/plain", null, body),
                RequestFingerprint.of(2, "POST", "/orders", null, "text/plain", null, body));
    }

    @ParameterizedTest
    @ValueSource(strings = {"text/plain", "application/xml", "application/octet-stream", "application/jsonp",
        "application/x-json-stream", "+json", "application/+json", "text/json-seq"})
    void nonJsonContentTypesCompareRawBytes(String contentType) {
        assertNotEquals(typed(contentType, "{\"a\":1,\"b\":2}"), typed(contentType, "{\"b\":2,\"a\":1}"));
        // Not parsed: invalid JSON under a non-JSON type is fine.
        typed(contentType, "{not json");
    }

    @Test
    void missingContentTypeComparesRawBytes() {
        assertNotEquals(typed(null, "{\"a\":1}"), typed(null, "{ \"a\":1}"));
        typed(null, "{not json");
    }

    @Test
    void textPlainBodyWhitespaceMatters() {
        assertNotEquals(typed("text/plain", "hello world"), typed("text/plain", "hello  world"));
        assertNotEquals(typed("text/plain", "hello"), typed("text/plain", "hello\n"));
    }

    @Test
    void rawBodyDiffersFromTheSameBytesAsJson() {
        assertNotEquals(typed("text/plain", "{\"a\":1}"), typed(JSON, "{\"a\":1}"));
    }

    @Test
    void largeRawBodyIsFingerprintedByEveryByte() {
        byte[] a = new byte[100_000];
        byte[] b = new byte[100_000];
        b[99_999] = 1;
        assertNotEquals(RequestFingerprint.of("POST", "/x", null, "application/octet-stream", a),
                RequestFingerprint.of("POST", "/x", null, "application/octet-stream", b));
    }

    @Test
    void largeJsonBodyWithLongStringsIsFingerprintedByEveryCharacter() {
        String big = "x".repeat(50_000);
        assertNotEquals(json("{\"s\":\"" + big + "a\"}"), json("{\"s\":\"" + big + "b\"}"));
        assertEquals(json("{\"s\":\"" + big + "\",\"t\":1}"), json("{\"t\":1, \"s\":\"" + big + "\"}"));
    }

    // --- malformed JSON ------------------------------------------------------------------------

    @Test
    void truncatedJsonIsMalformed() {
        MalformedRequestBodyException e = malformed("{\"a\":1");
        assertTrue(e.getMessage().contains("declared as JSON"), e.getMessage());
        malformed("{\"a\":");
        malformed("{\"a\"");
        malformed("[1,2");
        malformed("{");
        malformed("[");
        malformed("\"abc");
        malformed("tru");
    }

    @Test
    void trailingGarbageIsMalformed() {
        MalformedRequestBodyException e = malformed("{\"a\":1} x");
        assertTrue(e.getMessage().contains("declared as JSON"), e.getMessage());
        malformed("{\"a\":1}}");
    }

    @Test
    void secondJsonValueAfterTheFirstIsMalformed() {
        MalformedRequestBodyException e = malformed("{\"a\":1}{\"b\":2}");
        assertTrue(e.getMessage().contains("more content after the first JSON value"), e.getMessage());
        assertTrue(e.getMessage().contains("line 1"), e.getMessage());
    }

    @Test
    void commentsAreMalformed() {
        MalformedRequestBodyException e = malformed("{\"a\":1 /* one */}");
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
        malformed("// comment\n{\"a\":1}");
    }

    @Test
    void jsonThatIsNotUtf8IsMalformed() {
        // Overlong four-byte forms: Jackson alone reads them as stray surrogates, which the canonical form
        // then carries as escapes that the canonicaliser itself refuses in a member name (a fuzzing finding).
        for (byte[] body : new byte[][] {
                {'{', '"', (byte) 0xF0, (byte) 0x80, (byte) 0x9F, (byte) 0x98, '"', ':', '1', '}'},
                {'[', '"', (byte) 0xF0, (byte) 0x80, (byte) 0x80, (byte) 0xA2, '"', ']'},
                {'[', '"', (byte) 0xC0, (byte) 0xA2, '"', ']'},
                {'[', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', ']'},
                {'[', '"', (byte) 0xFF, '"', ']'}}) {
            MalformedRequestBodyException e = assertThrows(MalformedRequestBodyException.class,
                    () -> RequestFingerprint.of("POST", "/orders", null, JSON, body));
            assertTrue(e.getMessage().contains("declared as JSON"), e.getMessage());
        }
        // Well-formed multi-byte UTF-8 is read as before: the same strings as their escapes.
        assertEquals(json("{\"a\":\"\u00e9\ud83d\ude00\"}"), json("{\"a\":\"\\u00e9\\ud83d\\ude00\"}"));
    }

    @Test
    void memberNameThatIsALoneSurrogateIsMalformedInAnySpelling() {
        // The JSON parser refuses a lone surrogate in a member name, though not in a string value.
        malformed("{\"\\ud800\":1}");
        malformed("{ \"\\uD800\" : 1 }");
        assertEquals(json("[\"\\ud800\"]"), json("[ \"\\uD800\" ]"));
    }

    @Test
    void singleQuotesAreMalformed() {
        MalformedRequestBodyException e = malformed("{'a':1}");
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
        assertTrue(e.getMessage().contains("line 1, column"), e.getMessage());
        malformed("{\"a\":'x'}");
    }

    @Test
    void otherSyntaxErrorsAreMalformed() {
        malformed("{a:1}");
        malformed("{\"a\":1,}");
        malformed("[1,]");
        malformed("{\"a\":NaN}");
        malformed("{\"a\":01}");
        malformed("not json");
    }

    @Test
    void whitespaceOnlyJsonBodyIsMalformed() {
        MalformedRequestBodyException e = malformed("  \n ");
        assertTrue(e.getMessage().contains("empty or only whitespace"), e.getMessage());
    }

    @Test
    void malformedJsonMessageReportsTheLine() {
        MalformedRequestBodyException e = malformed("{\n\"a\": 1,\n\"b\": ]\n}");
        assertTrue(e.getMessage().contains("line 3"), e.getMessage());
    }

    @Test
    void deeplyNestedJsonIsMalformedNotACrash() {
        String deep = "[".repeat(5_000) + "]".repeat(5_000);
        MalformedRequestBodyException e = malformed(deep);
        assertTrue(e.getMessage().contains("declared as JSON"), e.getMessage());
    }

    @Test
    void overlongJsonNumberIsMalformedNotACrash() {
        MalformedRequestBodyException e = malformed("{\"n\":" + "1".repeat(5_000) + "}");
        assertTrue(e.getMessage().contains("declared as JSON"), e.getMessage());
    }

    @Test
    void invalidUtf8InJsonIsMalformedNotACrash() {
        byte[] body = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        assertThrows(MalformedRequestBodyException.class,
                () -> RequestFingerprint.of("POST", "/x", null, JSON, body));
    }

    @Test
    void emptyBodyWithJsonContentTypeIsNotAnError() {
        RequestFingerprint withJsonType = RequestFingerprint.of("POST", "/orders", null, JSON, new byte[0]);
        RequestFingerprint withoutType = RequestFingerprint.of("POST", "/orders", null, null, new byte[0]);
        assertEquals(withoutType, withJsonType, "the media type of no body does not count");
        assertEquals(withoutType, RequestFingerprint.of(2, "POST", "/orders", null, "text/plain", "gzip", new byte[0]));
    }

    // --- version, restore, representation --------------------------------------------------------

    @Test
    void versionIsTwoAndOneIsStillKnown() {
        assertEquals(2, json("{}").version());
        assertEquals(2, RequestFingerprint.CURRENT_VERSION);
        assertTrue(RequestFingerprint.isKnownVersion(1));
        assertTrue(RequestFingerprint.isKnownVersion(2));
        assertFalse(RequestFingerprint.isKnownVersion(0));
        assertFalse(RequestFingerprint.isKnownVersion(3));
    }

    @Test
    void explicitCurrentVersionEqualsDefault() {
        assertEquals(RequestFingerprint.of("POST", "/a", "x=1", JSON, "{}".getBytes(UTF_8)),
                RequestFingerprint.of(2, "POST", "/a", "x=1", JSON, null, "{}".getBytes(UTF_8)));
    }

    @Test
    void unknownVersionIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RequestFingerprint.of(3, "POST", "/a", null, null, null, new byte[0]));
        assertTrue(e.getMessage().contains("3"), e.getMessage());
    }

    @Test
    void restoreRoundTripsDigestAndVersion() {
        RequestFingerprint original = json("{\"a\":1}");
        RequestFingerprint restored = RequestFingerprint.restore(original.version(), original.digest());

        assertEquals(original, restored);
        assertEquals(original.hashCode(), restored.hashCode());
        assertEquals(original.version(), restored.version());
        assertArrayEquals(original.digest(), restored.digest());
        assertEquals(original.toHex(), restored.toHex());
        assertEquals(original.toString(), restored.toString());
    }

    @Test
    void restoredFingerprintWithOtherVersionIsNotEqual() {
        RequestFingerprint original = json("{\"a\":1}");
        assertNotEquals(original, RequestFingerprint.restore(1, original.digest()));
    }

    @Test
    void restoreRefusesDigestsThatAreNot32Bytes() {
        assertThrows(IllegalArgumentException.class, () -> RequestFingerprint.restore(1, new byte[31]));
        assertThrows(IllegalArgumentException.class, () -> RequestFingerprint.restore(1, new byte[33]));
        assertThrows(NullPointerException.class, () -> RequestFingerprint.restore(1, null));
    }

    @Test
    void restoreCopiesTheDigest() {
        byte[] digest = json("{}").digest();
        RequestFingerprint restored = RequestFingerprint.restore(1, digest);
        digest[0] ^= 0x01;
        assertFalse(java.util.Arrays.equals(digest, restored.digest()));
    }

    @Test
    void digestReturnsACopy() {
        RequestFingerprint fingerprint = json("{}");
        byte[] first = fingerprint.digest();
        first[0] ^= 0x01;
        assertNotSame(first, fingerprint.digest());
        assertFalse(java.util.Arrays.equals(first, fingerprint.digest()));
    }

    @Test
    void hexAndToStringShowVersionAndDigest() {
        RequestFingerprint fingerprint = json("{}");
        assertEquals(64, fingerprint.toHex().length());
        assertTrue(fingerprint.toHex().matches("[0-9a-f]{64}"));
        assertEquals("v2:" + fingerprint.toHex(), fingerprint.toString());
        assertEquals(HexFormat.of().formatHex(fingerprint.digest()), fingerprint.toHex());
    }

    @Test
    void rejectsNullMethodAndBody() {
        assertThrows(NullPointerException.class, () -> RequestFingerprint.of(null, "/a", null, null, new byte[0]));
        assertThrows(NullPointerException.class, () -> RequestFingerprint.of("POST", "/a", null, null, null));
    }

    // --- golden values: the v1 byte layout must never change -----------------------------------

    /** Builds the documented v1 layout independently of the production code. */
    private static final class V1Layout {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final DataOutputStream out = new DataOutputStream(bytes);

        V1Layout() throws IOException {
            out.write("idempotency-fingerprint:1\n".getBytes(UTF_8));
        }

        V1Layout field(String s) throws IOException {
            byte[] b = s.getBytes(UTF_8);
            out.writeInt(b.length); // big-endian, 4 bytes
            out.write(b);
            return this;
        }

        V1Layout count(int n) throws IOException {
            out.writeInt(n);
            return this;
        }

        V1Layout raw(String s) throws IOException {
            out.write(s.getBytes(UTF_8));
            return this;
        }

        byte[] sha256() throws Exception {
            out.flush();
            return MessageDigest.getInstance("SHA-256").digest(bytes.toByteArray());
        }
    }

    @Test
    void goldenV1FingerprintOfRawTextBody() throws Exception {
        byte[] expected = new V1Layout().field("POST").field("/posts").count(0).raw("R").field("hi").sha256();

        RequestFingerprint actual = v1("POST", "/posts", null, "text/plain", "hi".getBytes(UTF_8));

        assertEquals(HexFormat.of().formatHex(expected), actual.toHex());
    }

    @Test
    void goldenV1FingerprintOfEmptyBodyWithQuery() throws Exception {
        // Parameters sorted by name; values of one name keep their order; '+' decodes to a space.
        byte[] expected = new V1Layout().field("PATCH").field("/posts/7").count(3)
                .field("a").field("2").field("a").field("1").field("b").field("x y")
                .raw("E").sha256();

        RequestFingerprint actual = v1("PATCH", "/posts/7", "b=x+y&a=2&a=1", "text/plain", new byte[0]);

        assertEquals(HexFormat.of().formatHex(expected), actual.toHex());
    }

    @Test
    void goldenV1FingerprintOfJsonBody() throws Exception {
        // Canonical JSON: sorted members, no whitespace, numbers verbatim, minimal string escapes; not length-prefixed.
        byte[] expected = new V1Layout().field("POST").field("/posts").count(0)
                .raw("J").raw("{\"a\":[1.50,\"x\\\"y\",true,null],\"b\":\"\\u0001\u00e9\"}").sha256();

        RequestFingerprint actual = json0("/posts",
                "{ \"b\" : \"\\u0001\\u00e9\", \"a\" : [ 1.50, \"x\\\"y\", true, null ] }");

        assertEquals(HexFormat.of().formatHex(expected), actual.toHex());
    }

    private static RequestFingerprint json0(String path, String body) {
        return v1("POST", path, null, JSON, body.getBytes(UTF_8));
    }

    private static RequestFingerprint v1(String method, String path, String rawQuery, String contentType,
            byte[] body) {
        return RequestFingerprint.of(1, method, path, rawQuery, contentType, null, body);
    }

    @Test
    void goldenV1FingerprintOfLargeBodyAndLongQueryCrossesBufferBoundaries() throws Exception {
        // Fields longer than the internal 8 KiB buffer and fields straddling its end.
        String longValue = "v".repeat(8_190);
        StringBuilder bodyText = new StringBuilder();
        for (int i = 0; i < 3_000; i++) {
            bodyText.append("line ").append(i).append('\n');
        }
        byte[] body = bodyText.toString().getBytes(UTF_8);
        byte[] expected = new V1Layout().field("POST").field("/bulk").count(2)
                .field("a").field(longValue).field("b").field("1")
                .raw("R").field(bodyText.toString()).sha256();

        RequestFingerprint actual = v1("POST", "/bulk", "b=1&a=" + longValue, "application/octet-stream", body);

        assertEquals(HexFormat.of().formatHex(expected), actual.toHex());
    }

    @Test
    void goldenV1FingerprintOfLargeJsonWithMultibyteCharacters() throws Exception {
        // Two-, three- and four-byte UTF-8 characters written across buffer boundaries.
        String text = "\u00e9\u20ac\uD83D\uDE00x".repeat(2_000);
        String canonical = "{\"a\":\"" + text + "\",\"z\":[0.10,-1E+3]}";
        byte[] expected = new V1Layout().field("POST").field("/posts").count(0).raw("J").raw(canonical).sha256();

        RequestFingerprint actual = json0("/posts", "{\"z\": [0.10, -1E+3], \"a\": \"" + text + "\"}");

        assertEquals(HexFormat.of().formatHex(expected), actual.toHex());
    }

    @Test
    void goldenV1LayoutHoldsForEveryFieldLengthAroundTheBufferSize() throws Exception {
        // The digest is fed through an 8 KiB buffer; a field ending on, just before or just after its
        // boundary must hash exactly like the unbuffered layout.
        for (int n = 8_100; n <= 8_220; n++) {
            String path = "/" + "p".repeat(n);
            byte[] expectedPath = new V1Layout().field("POST").field(path).count(0).raw("R").field("hi").sha256();
            assertEquals(HexFormat.of().formatHex(expectedPath),
                    v1("POST", path, null, "text/plain", "hi".getBytes(UTF_8)).toHex(),
                    "path length " + n);

            String body = "b".repeat(n);
            byte[] expectedBody = new V1Layout().field("POST").field("/x").count(0).raw("R").field(body).sha256();
            assertEquals(HexFormat.of().formatHex(expectedBody),
                    v1("POST", "/x", null, "text/plain", body.getBytes(UTF_8)).toHex(),
                    "body length " + n);

            String text = "\u00e9".repeat(n / 2);
            byte[] expectedJson = new V1Layout().field("POST").field("/x").count(0).raw("J")
                    .raw("\"" + text + "\"").sha256();
            assertEquals(HexFormat.of().formatHex(expectedJson),
                    v1("POST", "/x", null, JSON, ("\"" + text + "\"").getBytes(UTF_8)).toHex(),
                    "JSON string length " + n);
        }
    }

    /** Builds the documented v2 layout independently of the production code. */
    private static final class V2Layout {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final DataOutputStream out = new DataOutputStream(bytes);

        V2Layout() throws IOException {
            out.write("idempotency-fingerprint:2\n".getBytes(UTF_8));
        }

        V2Layout field(String s) throws IOException {
            byte[] b = s.getBytes(UTF_8);
            out.writeInt(b.length);
            out.write(b);
            return this;
        }

        V2Layout count(int n) throws IOException {
            out.writeInt(n);
            return this;
        }

        V2Layout raw(String s) throws IOException {
            out.write(s.getBytes(UTF_8));
            return this;
        }

        byte[] sha256() throws Exception {
            out.flush();
            return MessageDigest.getInstance("SHA-256").digest(bytes.toByteArray());
        }
    }

    @Test
    void goldenV2FingerprintOfATypedJsonBody() throws Exception {
        // Media type: 'M', the essence, then the parameters sorted by name (charset value in lower case,
        // quoted values unquoted); no content coding: 'N'; then the body as in version 1.
        byte[] expected = new V2Layout().field("POST").field("/posts").count(0)
                .raw("M").field("application/merge-patch+json").count(2)
                .field("charset").field("utf-8").field("profile").field("A b")
                .raw("N").raw("J").raw("{\"a\":1,\"b\":[true]}").sha256();

        RequestFingerprint actual = RequestFingerprint.of(2, "POST", "/posts", null,
                "Application/Merge-Patch+JSON; profile=\"A b\"; Charset=UTF-8", null,
                "{ \"b\": [true], \"a\": 1 }".getBytes(UTF_8));

        assertEquals(HexFormat.of().formatHex(expected), actual.toHex());
    }

    @Test
    void goldenV2FingerprintOfAnEncodedBodyWithoutContentType() throws Exception {
        byte[] expected = new V2Layout().field("PATCH").field("/posts/7").count(1).field("a").field("1")
                .raw("N").raw("C").count(2).field("gzip").field("br").raw("R").field("zz").sha256();

        RequestFingerprint actual = RequestFingerprint.of(2, "PATCH", "/posts/7", "a=1", null, "GZIP, identity, br",
                "zz".getBytes(UTF_8));

        assertEquals(HexFormat.of().formatHex(expected), actual.toHex());
    }

    @Test
    void goldenV2FingerprintOfAContentTypeThatIsNotAMediaType() throws Exception {
        byte[] expected = new V2Layout().field("POST").field("/x").count(0).raw("U").field("text plain")
                .raw("N").raw("R").field("hi").sha256();

        RequestFingerprint actual = RequestFingerprint.of(2, "POST", "/x", null, " text plain ", null,
                "hi".getBytes(UTF_8));

        assertEquals(HexFormat.of().formatHex(expected), actual.toHex());
    }

    @Test
    void goldenV1FingerprintIsAFixedValue() {
        // SHA-256 of the layout in goldenV1FingerprintOfRawTextBody, computed outside Java and pinned.
        RequestFingerprint actual = v1("POST", "/posts", null, "text/plain", "hi".getBytes(UTF_8));
        assertEquals(GOLDEN_POST_POSTS_HI, actual.toHex());
    }

    private static final String GOLDEN_POST_POSTS_HI =
            "0397f1986a9d91c7ef3580a51a9d5eb61f4a7c9d9da8af53e37f4c055a47985d";
}
