package sortedllama.infer.json;

import java.util.ArrayList;
import java.util.List;

/** A value of any of several grammars (JSON Schema's anyOf, or a list of types): all are followed until the bytes tell. */
final class AnyOfGrammar implements ValueGrammar {
    private final List<ValueGrammar> alternatives;

    AnyOfGrammar(List<ValueGrammar> alternatives) {
        this.alternatives = List.copyOf(alternatives);
    }

    @Override
    public JsonState start(JsonState after) {
        List<JsonState> starts = new ArrayList<>(alternatives.size());
        for (ValueGrammar g : alternatives) starts.add(g.start(after));
        return Choice.of(starts);
    }
}
