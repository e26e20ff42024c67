package dev.idempotency.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class FaultSettingsTest {

    private String savedDuration;
    private String savedSeed;

    @BeforeEach
    void saveTheProperties() {
        savedDuration = System.clearProperty(FaultSettings.DURATION);
        savedSeed = System.clearProperty(FaultSettings.SEED);
    }

    @AfterEach
    void restoreTheProperties() {
        restore(FaultSettings.DURATION, savedDuration);
        restore(FaultSettings.SEED, savedSeed);
    }

    private static void restore(String name, String value) {
        if (value == null) {
            System.clearProperty(name);
        } else {
            System.setProperty(name, value);
        }
    }

    @Test
    void withoutThePropertyTheShortVariantRuns() {
        assertEquals(Duration.ofSeconds(5), FaultSettings.duration(Duration.ofSeconds(5)));
        System.setProperty(FaultSettings.DURATION, "  ");
        assertEquals(Duration.ZERO, FaultSettings.duration(Duration.ZERO));
    }

    @ParameterizedTest
    @CsvSource({"500ms, PT0.5S", "90s, PT90S", "10m, PT10M", "2h, PT2H", "PT10M, PT10M", "pt1h30m, PT1H30M",
        "' 10M ', PT10M"})
    void readsTheDuration(String text, String iso) {
        System.setProperty(FaultSettings.DURATION, text);
        assertEquals(Duration.parse(iso), FaultSettings.duration(Duration.ZERO));
    }

    @ParameterizedTest
    @ValueSource(strings = {"soon", "10", "7d", "1.5h", "PT"})
    void refusesWhatIsNotADurationNamingThePropertyAndTheValue(String text) {
        System.setProperty(FaultSettings.DURATION, text);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FaultSettings.duration(Duration.ZERO));
        assertTrue(e.getMessage().contains("-Dfault.duration") && e.getMessage().contains("'" + text + "'"),
                e.getMessage());
    }

    @Test
    void readsTheSeedToReplayARun() {
        System.setProperty(FaultSettings.SEED, " -42 ");
        assertEquals(-42L, FaultSettings.seed());
        System.setProperty(FaultSettings.SEED, "forty-two");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, FaultSettings::seed);
        assertTrue(e.getMessage().contains("-Dfault.seed") && e.getMessage().contains("'forty-two'"), e.getMessage());
    }
}
