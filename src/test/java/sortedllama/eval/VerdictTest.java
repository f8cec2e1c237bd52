package sortedllama.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The verdict is the first "1", "2" or "Tie" standing as a word of its own on the first non-blank line. */
class VerdictTest {
    @Test
    void readsTheFirstVerdictOfTheLeadingLine() {
        assertEquals(Verdict.FIRST, Verdict.parse("1"));
        assertEquals(Verdict.SECOND, Verdict.parse(" 2\nResponse 1 is wrong."), "the reason on later lines is not read");
        assertEquals(Verdict.TIE, Verdict.parse("Tie"));
        assertEquals(Verdict.TIE, Verdict.parse("**TIE** - both are fine"));
        assertEquals(Verdict.SECOND, Verdict.parse("\n\n  Response 2 is better."), "blank lines before the verdict are skipped");
        assertEquals(Verdict.FIRST, Verdict.parse("1. It answers the question"), "a list marker still names the response");
        assertEquals(Verdict.FIRST, Verdict.parse("Response 1 beats Response 2"), "the first one mentioned wins");
        assertEquals(Verdict.SECOND, Verdict.parse("(2)"));
    }

    @Test
    void numbersAndWordsThatOnlyContainAVerdictAreNotOne() {
        assertEquals(Verdict.INVALID, Verdict.parse(""));
        assertEquals(Verdict.INVALID, Verdict.parse("   \n  "));
        assertEquals(Verdict.INVALID, Verdict.parse("10 out of 12"));
        assertEquals(Verdict.INVALID, Verdict.parse("1.5"));
        assertEquals(Verdict.INVALID, Verdict.parse("They are tied."));
        assertEquals(Verdict.INVALID, Verdict.parse("Response one\n2"), "only the first line counts");
        assertEquals(Verdict.INVALID, Verdict.parse("v2 is nicer"), "a digit glued to a letter is not a verdict");
        assertEquals(Verdict.TIE, Verdict.parse("tie, 1 and 2 are equal"), "the earliest wins");
    }
}
