package sortedllama.cli;

import java.util.Arrays;
import sortedllama.BadInputException;

/** Parses "1 2 3" (spaces or commas) into token ids. */
final class TokenIds {
    private TokenIds() {}

    static int[] parse(String text, String option) {
        String trimmed = text.strip();
        if (trimmed.isEmpty()) throw new BadInputException(option + " is empty: give token ids such as \"1 2 3\"");
        try {
            return Arrays.stream(trimmed.split("[\\s,]+")).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new BadInputException(option + " must hold integer token ids separated by spaces, got \"" + text + "\"");
        }
    }

    static String format(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ids.length; i++) {
            if (i > 0) sb.append(' ');
            sb.append(ids[i]);
        }
        return sb.toString();
    }
}
