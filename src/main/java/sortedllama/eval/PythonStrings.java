package sortedllama.eval;

import java.util.ArrayList;
import java.util.List;

/** Python's str.split() with no arguments, whose idea of whitespace differs from Java's. */
final class PythonStrings {
    private PythonStrings() {}

    /** Python 3's str.isspace() for one code point (Unicode White_Space plus the ASCII separators 0x1c..0x1f). */
    static boolean isSpace(int cp) {
        if (cp >= 0x1c && cp <= 0x1f) return true;
        return switch (cp) {
            case 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000 -> true;
            default -> cp >= 0x2000 && cp <= 0x200a;
        };
    }

    static List<String> splitWhitespace(CharSequence s) {
        List<String> parts = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        s.codePoints().forEach(cp -> {
            if (isSpace(cp)) {
                if (!current.isEmpty()) {
                    parts.add(current.toString());
                    current.setLength(0);
                }
            } else {
                current.appendCodePoint(cp);
            }
        });
        if (!current.isEmpty()) parts.add(current.toString());
        return parts;
    }
}
