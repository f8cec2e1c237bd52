package sortedllama.eval;

import java.util.Locale;

/**
 * What a judge said about "Response 1" against "Response 2". {@link #INVALID} is an answer that
 * names none of them; it counts as a tie in the scores (a judge that cannot decide has not
 * preferred either side) but is counted and reported on its own, so that a judge that mostly
 * rambles is visible rather than mistaken for one that finds the systems equal.
 */
public enum Verdict {
    FIRST("1"), SECOND("2"), TIE("tie"), INVALID("invalid");

    /** How the verdict is written in judgements.jsonl. */
    public final String label;

    Verdict(String label) {
        this.label = label;
    }

    /**
     * The verdict of a judge's text: the first of "1", "2" or "Tie" (any case) on its first non-blank
     * line, each as a word of its own, so "Response 2 is better." is 2, "**Tie**" a tie, but "10",
     * "1.5" or "tied" nothing. Only the first line is read because the prompt asks for the verdict
     * there and the reason after it, and reasons mention both responses.
     */
    public static Verdict parse(String text) {
        String line = text.strip();
        int newline = line.indexOf('\n');
        if (newline >= 0) line = line.substring(0, newline);
        String lower = line.toLowerCase(Locale.ROOT);
        for (int i = 0; i < lower.length(); i++) {
            char c = lower.charAt(i);
            if ((c == '1' || c == '2') && standsAlone(lower, i, i + 1)) return c == '1' ? FIRST : SECOND;
            if (lower.startsWith("tie", i) && standsAlone(lower, i, i + 3)) return TIE;
        }
        return INVALID;
    }

    /** No letter or digit touches [from, to), and no decimal point followed by a digit follows it. */
    private static boolean standsAlone(String s, int from, int to) {
        if (from > 0 && Character.isLetterOrDigit(s.charAt(from - 1))) return false;
        if (to < s.length() && Character.isLetterOrDigit(s.charAt(to))) return false;
        return !(to + 1 < s.length() && (s.charAt(to) == '.' || s.charAt(to) == ',') && Character.isDigit(s.charAt(to + 1)));
    }
}
