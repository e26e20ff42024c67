package dev.idempotency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StoredStatusesTest {

    @ParameterizedTest
    @ValueSource(ints = {200, 201, 202, 204, 299, 300, 301, 302, 303, 304, 399, 400, 401, 403, 404, 409, 410, 422, 499})
    void defaultStoresSuccessesRedirectsAndClientErrors(int status) {
        assertTrue(StoredStatuses.defaults().stores(status), "should store " + status);
    }

    @ParameterizedTest
    @ValueSource(ints = {408, 429, 500, 502, 503, 504, 599, 100, 101, 199})
    void defaultDoesNotStoreRetryableErrorsOrServerErrors(int status) {
        assertFalse(StoredStatuses.defaults().stores(status), "should not store " + status);
    }

    @Test
    void defaultSpecIsDocumented() {
        assertEquals("2xx,3xx,4xx,!408,!429", StoredStatuses.DEFAULT_SPEC);
        assertEquals(StoredStatuses.DEFAULT_SPEC, StoredStatuses.defaults().toString());
        assertEquals(StoredStatuses.parse(StoredStatuses.DEFAULT_SPEC), StoredStatuses.defaults());
    }

    @Test
    void statusesOutsideTheRangeAreNeverStored() {
        StoredStatuses all = StoredStatuses.parse("1xx,2xx,3xx,4xx,5xx");
        assertFalse(all.stores(-1));
        assertFalse(all.stores(0));
        assertFalse(all.stores(99));
        assertFalse(all.stores(600));
        assertFalse(all.stores(1000));
        assertTrue(all.stores(100));
        assertTrue(all.stores(599));
    }

    @Test
    void parsesAClass() {
        StoredStatuses s = StoredStatuses.parse("5xx");
        assertTrue(s.stores(500));
        assertTrue(s.stores(599));
        assertFalse(s.stores(499));
        assertFalse(s.stores(200));
    }

    @Test
    void parsesSingleCodes() {
        StoredStatuses s = StoredStatuses.parse("201, 409");
        assertTrue(s.stores(201));
        assertTrue(s.stores(409));
        assertFalse(s.stores(200));
        assertFalse(s.stores(410));
    }

    @Test
    void exclusionsWinRegardlessOfOrder() {
        StoredStatuses before = StoredStatuses.parse("!404,4xx");
        StoredStatuses after = StoredStatuses.parse("4xx,!404");
        assertFalse(before.stores(404));
        assertFalse(after.stores(404));
        assertTrue(before.stores(400));
        assertEquals(before, after);
    }

    @Test
    void exclusionOfAClassRemovesTheWholeClass() {
        StoredStatuses s = StoredStatuses.parse("2xx,4xx,!4xx");
        assertTrue(s.stores(200));
        assertFalse(s.stores(404));
    }

    @Test
    void exclusionOfAnExplicitCodeWins() {
        assertFalse(StoredStatuses.parse("409,!409,200").stores(409));
    }

    @Test
    void parsingIgnoresCaseSpacesAndEmptyItems() {
        StoredStatuses s = StoredStatuses.parse(" 2XX , ,! 404,, 4xx ");
        assertTrue(s.stores(200));
        assertTrue(s.stores(400));
        assertFalse(s.stores(404));
    }

    @Test
    void equalityIsBySetOfStatusesNotBySpelling() {
        assertEquals(StoredStatuses.parse("2xx"), StoredStatuses.parse("2xx,200"));
        assertEquals(StoredStatuses.parse("2xx").hashCode(), StoredStatuses.parse("2xx,200").hashCode());
        assertNotEquals(StoredStatuses.parse("2xx"), StoredStatuses.parse("2xx,409"));
    }

    @Test
    void toStringKeepsTheSpecTrimmed() {
        assertEquals("2xx,!204", StoredStatuses.parse(" 2xx , !204 ,").toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "2xx,abc", "6xx", "0xx", "x2x", "20", "2000", "2x", "!", "!abc", "2xx;4xx",
        "+200", "-200"})
    void refusesMalformedItemsNamingThem(String spec) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StoredStatuses.parse(spec));
        assertTrue(e.getMessage().contains("neither a status class"), e.getMessage());
    }

    @Test
    void refusalQuotesTheBadItem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StoredStatuses.parse("2xx, bogus"));
        assertTrue(e.getMessage().contains("'bogus'"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"600", "099", "999", "!600"})
    void refusesCodesOutside100To599(String spec) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StoredStatuses.parse(spec));
        assertTrue(e.getMessage().contains("100-599"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", ",", "!429", "!4xx,!5xx"})
    void refusesListsThatIncludeNothing(String spec) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StoredStatuses.parse(spec));
        assertTrue(e.getMessage().contains("no status"), e.getMessage());
    }

    @Test
    void refusesNull() {
        assertThrows(NullPointerException.class, () -> StoredStatuses.parse(null));
    }
}
