package sortedllama.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import sortedllama.BadInputException;

/**
 * Hugging Face's pre-tokenization for byte-level BPE: the text is cut into pieces (words,
 * number groups, runs of spaces) that are merged separately. A sequence of steps, each of which
 * may put a space before every piece and then cuts every piece by a regular expression, keeping
 * both the matches and the text between them (the "Isolated" behaviour).
 */
final class PreTokenizer {
    /** GPT-2's pattern (ByteLevel with use_regex). */
    static final String GPT2_SPLIT = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    /** Llama 3's pattern: case-insensitive contractions, words, 1-3 digit groups, punctuation, newlines, spaces. */
    static final String LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /**
     * A split that GGUF names in {@code tokenizer.ggml.pre}, as llama.cpp reads the name: its
     * pattern, and whether a piece that is itself a token is taken whole before merging (llama.cpp's
     * ignore_merges, Hugging Face's model.ignore_merges). The first name is the one we write.
     */
    record GgufSplit(String regex, boolean ignoreMerges, List<String> names) {}

    /**
     * "default" is what a file without tokenizer.ggml.pre gets; llama.cpp's smaug-bpe and dbrx are
     * Llama 3's split without ignore_merges.
     */
    static final List<GgufSplit> GGUF_SPLITS = List.of(
            new GgufSplit(GPT2_SPLIT, false, List.of("gpt-2", "gpt2", "default")),
            new GgufSplit(LLAMA3_SPLIT, true, List.of("llama-bpe", "llama3")),
            new GgufSplit(LLAMA3_SPLIT, false, List.of("smaug-bpe", "dbrx")));

    /** One step; a null pattern leaves pieces whole. */
    record Step(Pattern pattern, boolean addPrefixSpace) {}

    private final List<Step> steps;

    PreTokenizer(List<Step> steps) {
        this.steps = List.copyOf(steps);
    }

    /** A single split by {@code regex}, written in Hugging Face's (Oniguruma's) syntax. */
    static PreTokenizer regex(String regex) {
        return new PreTokenizer(List.of(new Step(compile(regex), false)));
    }

    /**
     * Compiles an Oniguruma pattern (what Hugging Face's tokenizers use) with the same meaning in
     * Java: \s, \p{L}, \p{N} over all of Unicode, and case-insensitive groups folding ASCII only —
     * Oniguruma's (?i:'s) does not match "'ſ" (long s), Java's Unicode case folding would.
     */
    static Pattern compile(String regex) {
        try {
            return Pattern.compile(regex.replace("(?i:", "(?i-u:"), Pattern.UNICODE_CHARACTER_CLASS);
        } catch (PatternSyntaxException e) {
            throw new BadInputException("pre-tokenizer pattern cannot be compiled: " + e.getDescription() + " in " + regex, e);
        }
    }

    /** The split a {@code tokenizer.ggml.pre} name stands for, or null when we do not know the name. */
    static GgufSplit ggufSplit(String name) {
        for (GgufSplit s : GGUF_SPLITS) if (s.names.contains(name)) return s;
        return null;
    }

    /** The GGUF split this pre-tokenizer amounts to with or without ignore_merges, or null when GGUF has no name for it. */
    GgufSplit asGgufSplit(boolean ignoreMerges) {
        String regex = singleSplit();
        for (GgufSplit s : GGUF_SPLITS) {
            if (s.ignoreMerges == ignoreMerges && compile(s.regex).pattern().equals(regex)) return s;
        }
        return null;
    }

    /**
     * The pattern of the one split this pre-tokenizer makes, or null when it does more (several
     * splits, or a prefix space). Steps that do nothing are skipped: Llama 3's Split-then-ByteLevel
     * has a ByteLevel step without regex or prefix space.
     */
    private String singleSplit() {
        String regex = null;
        for (Step step : steps) {
            if (step.addPrefixSpace) return null;
            if (step.pattern == null) continue;
            if (regex != null) return null;
            regex = step.pattern.pattern();
        }
        return regex;
    }

    List<String> split(String text) {
        List<String> pieces = List.of(text);
        for (Step step : steps) {
            List<String> next = new ArrayList<>();
            for (String piece : pieces) {
                if (piece.isEmpty()) continue; // Hugging Face adds no prefix space to nothing
                String p = step.addPrefixSpace && !piece.startsWith(" ") ? " " + piece : piece;
                if (step.pattern == null) next.add(p);
                else cutIsolated(p, step.pattern, next);
            }
            pieces = next;
        }
        return pieces;
    }

    private static void cutIsolated(String text, Pattern pattern, List<String> out) {
        Matcher m = pattern.matcher(text);
        int last = 0;
        while (m.find()) {
            if (m.end() == m.start()) continue;
            if (m.start() > last) out.add(text.substring(last, m.start()));
            out.add(m.group());
            last = m.end();
        }
        if (last < text.length()) out.add(text.substring(last));
    }
}
