package sortedllama.infer;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The speculation/plain decision of {@link SpeculativeGenerator}, fed with made-up timings. */
class ModeChooserTest {

    /** Runs the mode the chooser asks for, {@code tokens} times, at the given true costs per token. */
    private static void decode(SpeculativeGenerator.ModeChooser c, int tokens, long plainNanos, long specNanos) {
        for (int i = 0; i < tokens; i++) {
            if (c.speculate()) c.recordSpeculative(specNanos, 1);
            else c.recordPlain(plainNanos, 1);
        }
    }

    @Test
    void aColdFirstPlainSampleDoesNotKeepSlowerSpeculationRunning() {
        var c = new SpeculativeGenerator.ModeChooser();
        assertTrue(c.speculate());
        c.recordSpeculative(2_000, 1);
        assertFalse(c.speculate(), "plain decoding is measured once early");
        c.recordPlain(20_000, 1); // before the JIT compiled the plain path: ten times its real cost
        decode(c, SpeculativeGenerator.PROBE_EVERY, 1_000, 2_000); // speculation runs until plain is probed again
        assertFalse(c.speculate(), "one probe at plain's real cost (1 us against 2 us) must switch to plain decoding");
    }

    @Test
    void settlesOnTheFasterModeAndNoticesWhenAcceptanceChanges() {
        var c = new SpeculativeGenerator.ModeChooser();
        decode(c, 200, 1_000, 600); // speculation faster
        assertTrue(c.speculate());
        decode(c, 4_000, 1_000, 3_000); // acceptance collapses: speculation 3x slower
        int plain = 0;
        for (int i = 0; i < 100; i++) {
            if (c.speculate()) {
                c.recordSpeculative(3_000, 1);
            } else {
                plain++;
                c.recordPlain(1_000, 1);
            }
        }
        assertTrue(plain >= 95, "mostly plain decoding after the change: " + plain + "/100");
    }
}
