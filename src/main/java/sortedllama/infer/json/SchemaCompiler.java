package sortedllama.infer.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import sortedllama.BadInputException;

/**
 * Compiles the subset of JSON Schema that structured outputs use into a {@link ValueGrammar}:
 * type (one or a list) object (properties, required; no properties beyond them), array (items,
 * minItems, maxItems), string, number, integer, boolean, null; enum and const of scalars; anyOf;
 * $ref to the root's $defs (or definitions), recursion included when it passes through an object
 * or array. Annotations (title, description, ...) are ignored. Any other keyword is refused,
 * named with its path, rather than ignored: output that silently breaks a pattern or a length the
 * caller asked for is worse than a clear no.
 */
final class SchemaCompiler {
    private static final Set<String> ANNOTATIONS = Set.of("title", "description", "$comment", "examples", "default", "$schema",
            "$id", "deprecated", "readOnly", "writeOnly");
    private static final Set<String> GENERAL = Set.of("type", "enum", "const", "anyOf", "$ref", "$defs", "definitions");
    /** The keywords each type takes beyond the general ones. */
    private static final Map<String, Set<String>> TYPE_KEYWORDS = Map.of(
            "object", Set.of("properties", "required", "additionalProperties"),
            "array", Set.of("items", "minItems", "maxItems"),
            "string", Set.of(), "number", Set.of(), "integer", Set.of(), "boolean", Set.of(), "null", Set.of());
    private static final ObjectMapper JSON = new ObjectMapper();

    private final JsonNode root;
    private final String rootPath;
    /** Definitions compiled so far, by "$defs/NAME" or "definitions/NAME". */
    private final Map<String, ValueGrammar> definitions = new HashMap<>();
    /** Definitions being compiled, with the {@link #depth} at which each was entered. */
    private final Map<String, Integer> compiling = new HashMap<>();
    /** Objects and arrays entered: a $ref back to a definition deeper than where it was entered consumes bytes on the way. */
    private int depth;

    private SchemaCompiler(JsonNode root, String rootPath) {
        this.root = root;
        this.rootPath = rootPath;
    }

    /** @param path how to name the schema in errors (e.g. response_format.json_schema.schema) */
    static ValueGrammar compile(JsonNode schema, String path) {
        return new SchemaCompiler(schema, path).schema(schema, path);
    }

    private ValueGrammar schema(JsonNode s, String path) {
        if (!s.isObject()) throw new BadInputException(path + " must be a schema object, got " + s);
        Set<String> types = types(s.get("type"), path + ".type");
        checkKeywords(s, path, types);
        if (s != root && (s.has("$defs") || s.has("definitions"))) {
            throw new BadInputException(path + "." + (s.has("$defs") ? "$defs" : "definitions") + " is supported only at the schema's root");
        }
        if (s.has("$ref")) return ref(alone(s, path, "$ref").asText(), path + ".$ref");
        if (s.has("anyOf")) return anyOf(alone(s, path, "anyOf"), path + ".anyOf");
        if (s.has("const")) return literals(List.of(alone(s, path, "const")), path + ".const", types);
        if (s.has("enum")) {
            JsonNode values = s.get("enum");
            if (!values.isArray() || values.isEmpty()) throw new BadInputException(path + ".enum must be a non-empty array");
            List<JsonNode> list = new ArrayList<>();
            values.forEach(list::add);
            return literals(list, path + ".enum", types);
        }
        if (types.isEmpty()) return AnyValueGrammar.INSTANCE; // {} allows any value
        List<ValueGrammar> alternatives = new ArrayList<>();
        for (String type : types) alternatives.add(typed(s, path, type));
        return alternatives.size() == 1 ? alternatives.getFirst() : new AnyOfGrammar(alternatives);
    }

    /** The types named by "type": none when absent. */
    private static Set<String> types(JsonNode type, String path) {
        Set<String> types = new LinkedHashSet<>();
        if (type == null) return types;
        List<JsonNode> names = new ArrayList<>();
        if (type.isArray()) type.forEach(names::add);
        else names.add(type);
        for (JsonNode name : names) {
            if (!name.isTextual()) throw new BadInputException(path + " must be a type name or a list of them, got " + type);
            if (!TYPE_KEYWORDS.containsKey(name.asText())) throw new BadInputException(path + " \"" + name.asText() + "\" is not supported");
            types.add(name.asText());
        }
        if (types.isEmpty()) throw new BadInputException(path + " must name at least one type");
        return types;
    }

    /** Refuses keywords this compiler does not implement, and type keywords for types the schema does not have. */
    private static void checkKeywords(JsonNode s, String path, Set<String> types) {
        for (String keyword : (Iterable<String>) s::fieldNames) {
            if (ANNOTATIONS.contains(keyword) || GENERAL.contains(keyword)) continue;
            String owner = null;
            for (var e : TYPE_KEYWORDS.entrySet()) if (e.getValue().contains(keyword)) owner = e.getKey();
            if (owner == null) throw new BadInputException(path + "." + keyword + " is not supported");
            if (!types.contains(owner)) {
                throw new BadInputException(path + "." + keyword + " needs \"type\": \"" + owner + "\" beside it");
            }
        }
    }

    /** The value of {@code keyword}, refusing other keywords beside it (their combination is not implemented). */
    private static JsonNode alone(JsonNode s, String path, String keyword) {
        for (String other : (Iterable<String>) s::fieldNames) {
            if (other.equals(keyword) || ANNOTATIONS.contains(other) || other.equals("$defs") || other.equals("definitions")) continue;
            throw new BadInputException(path + "." + other + " beside " + keyword + " is not supported");
        }
        return s.get(keyword);
    }

    private ValueGrammar typed(JsonNode s, String path, String type) {
        return switch (type) {
            case "object" -> object(s, path);
            case "array" -> array(s, path);
            case "string" -> StringGrammar.INSTANCE;
            case "number" -> NumberGrammar.NUMBER;
            case "integer" -> NumberGrammar.INTEGER;
            case "boolean" -> LiteralGrammar.TRUE_OR_FALSE;
            default -> LiteralGrammar.NULL;
        };
    }

    private ValueGrammar object(JsonNode s, String path) {
        JsonNode properties = s.get("properties"), additional = s.get("additionalProperties");
        boolean closed = additional != null && additional.isBoolean() && !additional.asBoolean();
        if (additional != null && !additional.isBoolean()) {
            throw new BadInputException(path + ".additionalProperties as a schema is not supported (only false)");
        }
        if (properties == null && !closed) {
            if (s.has("required")) throw new BadInputException(path + ".required needs properties beside it");
            return new FreeObjectGrammar(AnyValueGrammar.INSTANCE); // an object of anything, as JSON mode's
        }
        if (additional != null && additional.asBoolean()) {
            throw new BadInputException(path + ".additionalProperties true beside properties is not supported (only false)");
        }
        if (properties != null && !properties.isObject()) throw new BadInputException(path + ".properties must be an object");
        Set<String> required = new LinkedHashSet<>();
        JsonNode list = s.get("required");
        if (list != null) {
            if (!list.isArray()) throw new BadInputException(path + ".required must be an array of property names");
            for (JsonNode name : list) {
                if (!name.isTextual() || properties == null || !properties.has(name.asText())) {
                    throw new BadInputException(path + ".required names " + name + ", which is not in properties");
                }
                required.add(name.asText());
            }
        }
        List<ObjectGrammar.Property> members = new ArrayList<>();
        if (properties != null) {
            depth++;
            for (var e : (Iterable<Map.Entry<String, JsonNode>>) properties::fields) {
                ValueGrammar value = schema(e.getValue(), path + ".properties." + e.getKey());
                members.add(new ObjectGrammar.Property(json(JSON.getNodeFactory().textNode(e.getKey())), value,
                        required.contains(e.getKey())));
            }
            depth--;
        }
        return new ObjectGrammar(members);
    }

    private ValueGrammar array(JsonNode s, String path) {
        int min = count(s, "minItems", path, 0), max = count(s, "maxItems", path, Integer.MAX_VALUE);
        if (min > max) throw new BadInputException(path + ".minItems " + min + " is above maxItems " + max);
        if (!s.has("items")) return new ArrayGrammar(AnyValueGrammar.INSTANCE, min, max);
        depth++;
        ValueGrammar items = schema(s.get("items"), path + ".items");
        depth--;
        return new ArrayGrammar(items, min, max);
    }

    private static int count(JsonNode s, String keyword, String path, int fallback) {
        JsonNode n = s.get(keyword);
        if (n == null) return fallback;
        if (!n.canConvertToInt() || !n.isIntegralNumber() || n.intValue() < 0) {
            throw new BadInputException(path + "." + keyword + " must be a non-negative integer, got " + n);
        }
        return n.intValue();
    }

    private ValueGrammar anyOf(JsonNode list, String path) {
        if (!list.isArray() || list.isEmpty()) throw new BadInputException(path + " must be a non-empty array of schemas");
        List<ValueGrammar> alternatives = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) alternatives.add(schema(list.get(i), path + "[" + i + "]"));
        return new AnyOfGrammar(alternatives);
    }

    /** Fixed values (enum, const): scalars only, each of the schema's type when it has one. */
    private static ValueGrammar literals(List<JsonNode> values, String path, Set<String> types) {
        List<byte[]> texts = new ArrayList<>();
        for (JsonNode v : values) {
            if (v.isContainerNode()) throw new BadInputException(path + ": an object or array value (" + v + ") is not supported");
            if (v.isNumber() && !v.isIntegralNumber() && !Double.isFinite(v.doubleValue())) {
                throw new BadInputException(path + ": " + v + " is no JSON number"); // 1e400 read as a double
            }
            if (!types.isEmpty() && !ofTypes(v, types)) throw new BadInputException(path + ": " + v + " is not of type " + types);
            texts.add(json(v).getBytes(StandardCharsets.UTF_8));
        }
        return new LiteralGrammar(texts);
    }

    private static boolean ofTypes(JsonNode v, Set<String> types) {
        if (v.isTextual()) return types.contains("string");
        if (v.isBoolean()) return types.contains("boolean");
        if (v.isNull()) return types.contains("null");
        return types.contains("number") || (types.contains("integer") && v.isIntegralNumber());
    }

    private ValueGrammar ref(String ref, String path) {
        String key = null;
        for (String prefix : new String[] {"#/$defs/", "#/definitions/"}) {
            if (ref.startsWith(prefix) && ref.indexOf('/', prefix.length()) < 0) key = ref.substring(2);
        }
        if (key == null) throw new BadInputException(path + " \"" + ref + "\" is not supported (only #/$defs/NAME within the schema)");
        String name = key.substring(key.indexOf('/') + 1);
        JsonNode definition = root.path(key.substring(0, key.indexOf('/'))).get(name);
        if (definition == null) throw new BadInputException(path + " \"" + ref + "\" names no definition at the schema's root");
        ValueGrammar done = definitions.get(key);
        if (done != null) return done;
        Integer entered = compiling.get(key);
        if (entered != null) {
            if (depth > entered) return new RefGrammar(definitions, key);
            throw new BadInputException(path + " \"" + ref + "\" refers back to itself without an object or array between: not supported");
        }
        compiling.put(key, depth);
        ValueGrammar g = schema(definition, rootPath + "." + key.replace('/', '.'));
        compiling.remove(key);
        definitions.put(key, g);
        return g;
    }

    private static String json(JsonNode value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e); // a tree Jackson itself built always writes
        }
    }
}
