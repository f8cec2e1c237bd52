package sortedllama.tokenizer;

/**
 * SentencePiece's normaliser with the "identity" rule set (no Unicode normalisation, as LLaMA
 * 1/2 use it): only the whitespace flags of its NormalizerSpec apply. Whitespace means U+0020
 * alone; tabs and newlines are ordinary characters.
 *
 * @param addDummyPrefix         put a space before the text, so that a first word encodes as it
 *                               does mid-sentence (LLaMA: true)
 * @param removeExtraWhitespaces drop leading and trailing spaces, collapse runs (LLaMA: false)
 * @param escapeWhitespaces      write spaces as '▁' (LLaMA: true)
 */
public record SentencePieceNormalizer(boolean addDummyPrefix, boolean removeExtraWhitespaces, boolean escapeWhitespaces) {
    static final char SPACE_SYMBOL = '\u2581';

    /** LLaMA 1/2's settings. */
    public static final SentencePieceNormalizer LLAMA = new SentencePieceNormalizer(true, false, true);

    /** The text as the BPE model sees it; empty for empty input (no lone dummy prefix). */
    String normalize(String text) {
        String t = removeExtraWhitespaces ? collapseSpaces(text) : text;
        if (t.isEmpty()) return "";
        if (addDummyPrefix) t = " " + t;
        if (!escapeWhitespaces) return t;
        t = t.replace(' ', SPACE_SYMBOL);
        // sentencepiece trims trailing whitespace after escaping, so a literal '▁' at the end goes too
        int end = t.length();
        while (removeExtraWhitespaces && end > 0 && t.charAt(end - 1) == SPACE_SYMBOL) end--;
        return t.substring(0, end);
    }

    /**
     * Removes the spaces that encoding added or that the text is taken not to have, from the
     * start of the decoded text: with the dummy prefix, one space of the first piece; when extra
     * whitespace is removed, all spaces up to the first other character.
     *
     * @param pieceText the text of a piece while only control pieces and such spaces came before it
     * @return the piece's text to print, and whether the next piece is still at the start
     */
    StartOfText stripAtStart(String pieceText) {
        if (removeExtraWhitespaces) {
            String rest = pieceText.substring(leadingSpaces(pieceText));
            return new StartOfText(rest, rest.isEmpty());
        }
        if (addDummyPrefix && pieceText.startsWith(" ")) return new StartOfText(pieceText.substring(1), false);
        return new StartOfText(pieceText, false);
    }

    /** A piece's text after {@link #stripAtStart}, and whether decoding is still at the start. */
    record StartOfText(String text, boolean stillAtStart) {}

    /** True when a piece right after BOS loses its leading space (llama2.c's rule for the dummy prefix). */
    boolean stripsFirstSpaceWhenDecoding() {
        return addDummyPrefix || removeExtraWhitespaces;
    }

    private static int leadingSpaces(String s) {
        int i = 0;
        while (i < s.length() && s.charAt(i) == ' ') i++;
        return i;
    }

    private static String collapseSpaces(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean afterSpaceOrAtStart = sb.isEmpty() || sb.charAt(sb.length() - 1) == ' ';
            if (c != ' ' || !afterSpaceOrAtStart) sb.append(c);
        }
        if (!sb.isEmpty() && sb.charAt(sb.length() - 1) == ' ') sb.setLength(sb.length() - 1);
        return sb.toString();
    }
}
