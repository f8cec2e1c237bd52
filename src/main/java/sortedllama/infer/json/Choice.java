package sortedllama.infer.json;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Several states at once, where the grammar cannot yet tell which alternative the output follows
 * (anyOf, an enum's values sharing a prefix, optional properties, a number that may go on or
 * end). Alternatives die as bytes rule them out; usually one is left after a byte or two.
 */
final class Choice extends JsonState {
    private final JsonState[] alternatives;

    private Choice(JsonState[] alternatives) {
        this.alternatives = alternatives;
    }

    /** The union of states (nulls are dead alternatives): null when none is alive, the one when one is. */
    static JsonState of(List<JsonState> states) {
        List<JsonState> alive = new ArrayList<>(states.size());
        for (JsonState s : states) {
            if (s instanceof Choice c) alive.addAll(List.of(c.alternatives));
            else if (s != null) alive.add(s);
        }
        if (alive.isEmpty()) return null;
        return alive.size() == 1 ? alive.getFirst() : new Choice(alive.toArray(JsonState[]::new));
    }

    static JsonState of(JsonState... states) {
        return of(Arrays.asList(states));
    }

    @Override
    public JsonState step(int b) {
        List<JsonState> next = new ArrayList<>(alternatives.length);
        for (JsonState s : alternatives) next.add(s.step(b));
        return of(next);
    }

    @Override
    public boolean canEnd() {
        for (JsonState s : alternatives) if (s.canEnd()) return true;
        return false;
    }
}
