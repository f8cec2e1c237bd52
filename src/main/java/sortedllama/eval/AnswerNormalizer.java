package sortedllama.eval;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Answer normalisation of the official SQuAD v1.1 and TriviaQA v1.0 evaluation scripts, on which
 * exact match and F1 are computed. Both lower-case, drop the articles a/an/the as whole words and
 * collapse whitespace; SQuAD deletes ASCII punctuation, TriviaQA first turns underscores into
 * spaces and replaces punctuation (plus the quotes ‘ ’ ´ `) by a space. Regular expressions use
 * Unicode classes, as Python 3's do on str.
 */
public enum AnswerNormalizer {
    SQUAD, TRIVIAQA;

    static final String ASCII_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    static final String TRIVIAQA_PUNCTUATION = ASCII_PUNCTUATION + "\u2018\u2019\u00b4`";
    private static final Pattern ARTICLES = Pattern.compile("\\b(a|an|the)\\b", Pattern.UNICODE_CHARACTER_CLASS);

    public String normalize(String s) {
        String text = this == TRIVIAQA ? s.replace('_', ' ') : s;
        text = text.toLowerCase(Locale.ROOT);
        String punctuation = this == TRIVIAQA ? TRIVIAQA_PUNCTUATION : ASCII_PUNCTUATION;
        StringBuilder sb = new StringBuilder(text.length());
        text.codePoints().forEach(cp -> {
            if (cp < 0x10000 && punctuation.indexOf(cp) >= 0) {
                if (this == TRIVIAQA) sb.append(' ');
            } else {
                sb.appendCodePoint(cp);
            }
        });
        text = ARTICLES.matcher(sb).replaceAll(" ");
        return String.join(" ", PythonStrings.splitWhitespace(text));
    }
}
