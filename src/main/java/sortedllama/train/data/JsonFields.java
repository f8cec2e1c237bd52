package sortedllama.train.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Typed access to a record's fields; anything missing or of the wrong type is an {@link InvalidRecordException}. */
final class JsonFields {
    private JsonFields() {}

    /** A string field that must be present; it may be empty. */
    static String text(JsonNode record, String field) {
        JsonNode value = record.get(field);
        if (value == null) throw new InvalidRecordException("field \"" + field + "\" is missing");
        return asText(value, field);
    }

    /** A string field that must be present and not blank. */
    static String nonEmptyText(JsonNode record, String field) {
        String text = text(record, field);
        if (text.isBlank()) throw new InvalidRecordException("field \"" + field + "\" is empty");
        return text;
    }

    /** A string field that may be absent, null or empty (all read as ""). */
    static String optionalText(JsonNode record, String field) {
        JsonNode value = record.get(field);
        return value == null || value.isNull() ? "" : asText(value, field);
    }

    /**
     * The spelling under which a record holds a field that files spell in more than one way (the
     * official TriviaQA file's "Question", the Hugging Face export's "question"): the first of
     * {@code spellings} present; when none is, the first, so that optional fields read as absent
     * and a required field's error names the usual spelling.
     */
    static String spelling(JsonNode record, String... spellings) {
        for (String name : spellings) if (record.has(name)) return name;
        return spellings[0];
    }

    /** An object field that must be present. */
    static JsonNode requiredObject(JsonNode record, String field) {
        JsonNode value = record.get(field);
        if (value == null) throw new InvalidRecordException("field \"" + field + "\" is missing");
        if (!value.isObject()) throw new InvalidRecordException("field \"" + field + "\" is " + kind(value) + ", not an object");
        return value;
    }

    /** An array of strings that may be absent (read as empty). */
    static List<String> optionalTexts(JsonNode record, String field) {
        JsonNode value = record.get(field);
        if (value == null || value.isNull()) return List.of();
        if (!value.isArray()) throw new InvalidRecordException("field \"" + field + "\" is " + kind(value) + ", not an array of strings");
        List<String> out = new ArrayList<>();
        for (JsonNode item : value) out.add(asText(item, field + "[" + out.size() + "]"));
        return out;
    }

    /** "a number", "an array", ...: what a node is, for messages. */
    static String kind(JsonNode node) {
        String type = node.getNodeType().name().toLowerCase(Locale.ROOT);
        return ("aeiou".indexOf(type.charAt(0)) >= 0 ? "an " : "a ") + type;
    }

    private static String asText(JsonNode value, String field) {
        if (!value.isTextual()) throw new InvalidRecordException("field \"" + field + "\" is " + kind(value) + ", not a string");
        return value.textValue();
    }
}
