package sortedllama.infer.json;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One of a few fixed JSON texts: true, false, null, or an enum's or const's values as JSON writes
 * them (a string value in its plain spelling: the output then parses to exactly that value).
 */
final class LiteralGrammar implements ValueGrammar {
    static final LiteralGrammar TRUE_OR_FALSE = of("true", "false"), NULL = of("null");
    private final List<byte[]> texts;

    LiteralGrammar(List<byte[]> texts) {
        this.texts = List.copyOf(texts);
    }

    static LiteralGrammar of(String... jsonTexts) {
        List<byte[]> texts = new ArrayList<>();
        for (String t : jsonTexts) texts.add(t.getBytes(StandardCharsets.UTF_8));
        return new LiteralGrammar(texts);
    }

    @Override
    public JsonState start(JsonState after) {
        List<JsonState> starts = new ArrayList<>(texts.size());
        for (byte[] text : texts) starts.add(new Literal(text, () -> after));
        return Choice.of(starts);
    }
}
