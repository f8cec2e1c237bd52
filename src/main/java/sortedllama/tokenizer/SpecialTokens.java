package sortedllama.tokenizer;

import java.util.Collection;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cutting the texts of special tokens out of a text ({@link Tokenizer#encode(String, boolean)}):
 * each occurrence becomes its token's id, leftmost first and the longest where several start at the
 * same place; the text between them is encoded on its own, as llama.cpp and Hugging Face do (so a
 * SentencePiece fragment after a special token gets its own leading space, as in llama.cpp).
 */
final class SpecialTokens {
    private SpecialTokens() {}

    /** A pattern matching any of {@code texts}, the longest first at a position; null for none. */
    static Pattern pattern(Collection<String> texts) {
        if (texts.isEmpty()) return null;
        return Pattern.compile(String.join("|", texts.stream().sorted((x, y) -> y.length() - x.length()).map(Pattern::quote).toList()));
    }

    /**
     * The ids of {@code text}: matches of {@code pattern} become {@code ids.get(match)}, and what lies
     * between them is encoded by {@code plain} (empty pieces are skipped).
     */
    static void encode(String text, Pattern pattern, Map<String, Integer> ids, Function<String, int[]> plain, IntList out) {
        int start = 0;
        if (pattern != null) {
            Matcher m = pattern.matcher(text);
            while (m.find()) {
                if (m.start() > start) out.addAll(plain.apply(text.substring(start, m.start())));
                out.add(ids.get(m.group()));
                start = m.end();
            }
        }
        if (start < text.length()) out.addAll(plain.apply(text.substring(start)));
    }
}
