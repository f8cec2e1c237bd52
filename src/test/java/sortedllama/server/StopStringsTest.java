package sortedllama.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopStringsTest {

    @Test
    void holdsBackAPossibleStartAndCutsAtTheMatch() {
        var stops = new StopStrings(List.of("###", "END"));
        assertEquals("Hello ", stops.feed("Hello #"));
        assertEquals("", stops.feed("#"));
        assertEquals("##x", stops.feed("x"), "'##x' cannot start a stop string any more");
        assertEquals("E", stops.feed("EE"));
        assertEquals("EN and ", stops.feed("N and E"), "EN is not END, but the last E might start it");
        assertFalse(stops.matched());
        assertEquals("", stops.feed("N"));
        assertEquals("", stops.feed("D more"));
        assertTrue(stops.matched());
        assertEquals("", stops.feed("anything"), "nothing after the match");
    }

    @Test
    void releasesEverythingWithoutStopsAndFlushesTheHeldTail() {
        assertEquals("abc", new StopStrings(List.of()).feed("abc"));
        var stops = new StopStrings(List.of("</answer>"));
        assertEquals("42 ", stops.feed("42 </ans"));
        assertEquals("</ans", stops.flush());
    }

    @Test
    void theEarliestMatchWins() {
        var stops = new StopStrings(List.of("c", "ab"));
        assertEquals("x", stops.feed("xabc"));
        assertTrue(stops.matched());
    }
}
