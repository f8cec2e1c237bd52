package sortedllama.infer.json;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * An object with a schema's properties and no others (OpenAI's strict mode: additionalProperties
 * false), written in the schema's order; an optional property may be left out. The fixed order
 * keeps the grammar small (one state per place in the list, not per subset written so far) and is
 * the order a model prompted with the schema tends to follow anyway.
 */
final class ObjectGrammar implements ValueGrammar {
    /** @param name the property's name as JSON writes it, quotes included */
    record Property(byte[] name, ValueGrammar value, boolean required) {
        Property(String quotedName, ValueGrammar value, boolean required) {
            this(quotedName.getBytes(StandardCharsets.UTF_8), value, required);
        }
    }

    private final List<Property> properties;

    ObjectGrammar(List<Property> properties) {
        this.properties = List.copyOf(properties);
    }

    @Override
    public JsonState start(JsonState after) {
        return JsonState.expect('{', () -> Whitespace.before(Choice.of(member(0, after), close(0, after))));
    }

    /** A member whose property is at index {@code from} or later (skipping only optional ones), or null when none may come. */
    private JsonState member(int from, JsonState after) {
        List<JsonState> names = new ArrayList<>();
        for (int i = from; i < properties.size(); i++) {
            int index = i;
            Property p = properties.get(i);
            names.add(new Literal(p.name(), () -> Whitespace.before(JsonState.expect(':',
                    () -> Whitespace.before(p.value().start(Whitespace.before(afterMember(index + 1, after))))))));
            if (p.required()) break; // a required property cannot be skipped
        }
        return Choice.of(names);
    }

    /** After a member, with properties from {@code next} on still to come: a comma and another member, or the end. */
    private JsonState afterMember(int next, JsonState after) {
        return Choice.of(
                next < properties.size() ? JsonState.expect(',', () -> Whitespace.before(member(next, after))) : null,
                close(next, after));
    }

    /** The closing brace, when every property from {@code next} on is optional; else null. */
    private JsonState close(int next, JsonState after) {
        for (int i = next; i < properties.size(); i++) if (properties.get(i).required()) return null;
        return JsonState.expect('}', () -> after);
    }
}
