package sortedllama.server;

import java.util.List;

/**
 * OpenAI's {@code stop}: generation ends before the first occurrence of any stop string, which
 * is not returned. Streamed text that might be the start of a stop string is held back until
 * the next text settles it, so a client never sees part of a stop string.
 */
final class StopStrings {
    private final List<String> stops;
    /** Text not yet released; never longer than the longest stop string. */
    private String held = "";
    private boolean matched;

    StopStrings(List<String> stops) {
        this.stops = stops;
    }

    /** The text that can be released now that {@code text} follows what came before. */
    String feed(String text) {
        if (matched) return "";
        if (stops.isEmpty()) return text;
        held += text;
        int cut = firstMatch();
        if (cut >= 0) {
            matched = true;
            String before = held.substring(0, cut);
            held = "";
            return before;
        }
        int release = held.length() - longestPrefixAtEnd();
        String released = held.substring(0, release);
        held = held.substring(release);
        return released;
    }

    /** Whatever was held back, once no more text will come. */
    String flush() {
        String rest = held;
        held = "";
        return rest;
    }

    boolean matched() {
        return matched;
    }

    private int firstMatch() {
        int first = -1;
        for (String s : stops) {
            int at = held.indexOf(s);
            if (at >= 0 && (first < 0 || at < first)) first = at;
        }
        return first;
    }

    /** Length of the longest tail of the held text that begins some stop string. */
    private int longestPrefixAtEnd() {
        int best = 0;
        for (String s : stops) {
            for (int n = Math.min(s.length() - 1, held.length()); n > best; n--) {
                if (held.regionMatches(held.length() - n, s, 0, n)) {
                    best = n;
                    break;
                }
            }
        }
        return best;
    }
}
