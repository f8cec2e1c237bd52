package sortedllama.infer.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import sortedllama.BadInputException;

/** The JSON grammars byte by byte: valid prefixes go on, invalid ones die, complete values may end. */
class JsonGrammarTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String PATH = "response_format.json_schema.schema";

    static JsonState after(ValueGrammar g, String text) {
        return g.document().step(text.getBytes(StandardCharsets.UTF_8));
    }

    static void assertPrefix(ValueGrammar g, String text) {
        JsonState s = after(g, text);
        assertNotNull(s, "a valid prefix: " + text);
        assertFalse(s.canEnd(), "not complete yet: " + text);
    }

    static void assertComplete(ValueGrammar g, String text) {
        JsonState s = after(g, text);
        assertNotNull(s, "valid: " + text);
        assertTrue(s.canEnd(), "complete: " + text);
    }

    static void assertRefused(ValueGrammar g, String text) {
        assertNull(after(g, text), "refused: " + text);
    }

    static ValueGrammar schema(String json) throws Exception {
        return JsonGrammars.fromSchema(JSON.readTree(json), PATH);
    }

    static String refusal(String json) throws Exception {
        JsonNode schema = JSON.readTree(json);
        return assertThrows(BadInputException.class, () -> JsonGrammars.fromSchema(schema, PATH)).getMessage();
    }

    @Test
    void jsonModeTakesAnyObjectAndNothingElse() {
        ValueGrammar g = JsonGrammars.anyObject();
        assertComplete(g, "{}");
        assertComplete(g, " {\"a\": 1, \"b\": [true, null, \"x\\n\\\"\\u00e9\", []], \"c\": {\"d\": -0.5e+3, \"e\": {}}}\n");
        assertComplete(g, "{\"a\":\"é ü 日本\"}");
        assertPrefix(g, "{\"a\": [1, 2");
        assertPrefix(g, "{\"k\": \"unterminated");
        assertPrefix(g, "{\"a\":1");
        for (String bad : new String[] {"[1]", "\"str\"", "1", "{a:1}", "{'a':1}", "{\"a\":01}", "{\"a\":1,}", "{\"a\" 1}",
                "{\"a\":tru e}", "{\"a\":True}", "{\"a\":[1,]}", "{\"a\":1}}", "{} x", "{}{}", "{\"a\":.5}", "{\"a\":1.}"}) {
            assertRefused(g, bad);
        }
    }

    @Test
    void whitespaceIsBoundedSoNewlinesCannotGoOnForever() {
        ValueGrammar g = JsonGrammars.anyObject();
        String gap = " ".repeat(Whitespace.MAX_BYTES);
        assertComplete(g, gap + "{" + gap + "\"a\"" + gap + ":" + gap + "1" + gap + "}" + gap);
        assertRefused(g, gap + " {}");
        assertRefused(g, "{\"a\":1 " + gap + "}");
        assertComplete(g, "{\n  \"a\": 1\n}\n");
        assertComplete(g, "{\r\n\"a\": 1}");
        assertRefused(g, "{\n\n\n\"a\": 1}");
        assertRefused(g, "{}" + gap + " ");
    }

    @Test
    void stringsTakeJsonEscapesAndWholeUtf8CharactersButNoControlCharacters() {
        ValueGrammar g = JsonGrammars.anyObject();
        assertComplete(g, "{\"a\":\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00E9\\uD83D\\ude00\"}");
        assertRefused(g, "{\"a\":\"\\x\"}");
        assertRefused(g, "{\"a\":\"\\u00g0\"}");
        assertRefused(g, "{\"a\":\"line\nbreak\"}");
        assertRefused(g, "{\"a\":\"\u0001\"}");
        byte[] e = "é".getBytes(StandardCharsets.UTF_8);
        JsonState inString = after(g, "{\"a\":\"");
        JsonState lead = inString.step(e[0] & 0xFF);
        assertNotNull(lead, "a lead byte may come alone (a byte token), its continuation in the next token");
        assertNull(lead.step('"'), "but the character must be finished first");
        assertNotNull(lead.step(e[1] & 0xFF).step('"'));
        assertNull(inString.step(e[1] & 0xFF), "a continuation byte without its lead");
        assertNull(inString.step(0xFF), "a byte UTF-8 never uses");
        assertNull(after(g, "{").step(e[0] & 0xFF), "outside strings JSON is ASCII");
    }

    @Test
    void numbersFollowJsonsGrammarAndIntegersHaveNoFraction() throws Exception {
        ValueGrammar number = schema("{\"type\":\"number\"}"), integer = schema("{\"type\":\"integer\"}");
        for (String ok : new String[] {"0", "-0", "12", "1.5", "-0.25e-3", "1E+9", "3e7"}) assertComplete(number, ok);
        for (String partial : new String[] {"-", "1.", "1e", "1e+"}) assertPrefix(number, partial);
        for (String bad : new String[] {"01", "+1", ".5", "1.2.3", "1e5.0", "--1", "1 2"}) assertRefused(number, bad);
        assertComplete(integer, "-42");
        assertRefused(integer, "1.5");
        assertRefused(integer, "1e3");
    }

    @Test
    void objectsHaveTheSchemasPropertiesInOrderRequiredOnesPresent() throws Exception {
        ValueGrammar g = schema("""
                {"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"nick":{"type":"string"},
                 "ok":{"type":"boolean"}},"required":["name","ok"],"additionalProperties":false}""");
        assertComplete(g, "{\"name\":\"Ann\",\"age\":3,\"nick\":\"A\",\"ok\":true}");
        assertComplete(g, "{ \"name\" : \"Ann\" , \"ok\" : false }");
        assertComplete(g, "{\"name\":\"Ann\",\"nick\":\"A\",\"ok\":true}");
        assertPrefix(g, "{\"name\":\"Ann\",\"ag");
        assertRefused(g, "{}");
        assertRefused(g, "{\"ok\":true}");
        assertRefused(g, "{\"name\":\"Ann\"}");
        assertRefused(g, "{\"name\":\"Ann\",\"ok\":true,\"age\":3}");
        assertRefused(g, "{\"name\":\"Ann\",\"extra\":1,\"ok\":true}");
        assertRefused(g, "{\"name\":3,\"ok\":true}");
        assertRefused(g, "{\"name\":\"Ann\",\"ok\":true,}");
        ValueGrammar allOptional = schema("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"null\"}}}");
        assertComplete(allOptional, "{}");
        assertComplete(allOptional, "{\"a\":null}");
        assertRefused(allOptional, "{,}");
    }

    @Test
    void enumsConstsAnyOfAndTypeLists() throws Exception {
        ValueGrammar color = schema("{\"type\":\"string\",\"enum\":[\"red\",\"reddish\",\"say \\\"hi\\\"\"]}");
        assertComplete(color, "\"red\"");
        assertComplete(color, "\"reddish\"");
        assertComplete(color, "\"say \\\"hi\\\"\"");
        assertPrefix(color, "\"redd");
        assertRefused(color, "\"blue\"");
        assertRefused(color, "\"re\"");
        ValueGrammar mixed = schema("{\"enum\":[1,2.5,true,null,\"x\"]}");
        for (String ok : new String[] {"1", "2.5", "true", "null", "\"x\""}) assertComplete(mixed, ok);
        assertRefused(mixed, "12");
        assertRefused(mixed, "false");
        assertComplete(schema("{\"const\":\"v1\"}"), "\"v1\"");
        assertRefused(schema("{\"const\":\"v1\"}"), "\"v2\"");
        ValueGrammar nullable = schema("{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]}");
        assertComplete(nullable, "\"s\"");
        assertComplete(nullable, "null");
        assertRefused(nullable, "1");
        ValueGrammar list = schema("{\"type\":[\"integer\",\"null\"]}");
        assertComplete(list, "7");
        assertComplete(list, "null");
        assertRefused(list, "\"7\"");
        ValueGrammar objects = schema("""
                {"anyOf":[{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]},
                          {"type":"object","properties":{"b":{"type":"boolean"}},"required":["b"]}]}""");
        assertComplete(objects, "{\"a\":1}");
        assertComplete(objects, "{\"b\":true}");
        assertRefused(objects, "{\"a\":true}");
    }

    @Test
    void arraysKeepTheirBoundsAndItemSchema() throws Exception {
        ValueGrammar g = schema("{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":1,\"maxItems\":2}");
        assertComplete(g, "[1]");
        assertComplete(g, "[ 1 , 2 ]");
        assertRefused(g, "[]");
        assertRefused(g, "[1,2,");
        assertRefused(g, "[\"a\"]");
        assertComplete(schema("{\"type\":\"array\",\"maxItems\":0}"), "[]");
        assertRefused(schema("{\"type\":\"array\",\"maxItems\":0}"), "[1");
        assertComplete(schema("{\"type\":\"array\"}"), "[1,\"a\",{\"b\":[]}]");
    }

    @Test
    void nestedSchemasAndDefinitionsIncludingRecursionThroughAnArray() throws Exception {
        ValueGrammar g = schema("""
                {"type":"object","properties":{
                   "people":{"type":"array","items":{"$ref":"#/$defs/person"}},
                   "tree":{"$ref":"#/$defs/node"}},
                 "required":["people","tree"],
                 "$defs":{
                   "person":{"type":"object","properties":{"name":{"type":"string"},"tags":{"type":"array","items":{"enum":["a","b"]}}},
                             "required":["name","tags"]},
                   "node":{"type":"object","properties":{"v":{"type":"integer"},"kids":{"type":"array","items":{"$ref":"#/$defs/node"}}},
                           "required":["v","kids"]}}}""");
        assertComplete(g, "{\"people\":[{\"name\":\"x\",\"tags\":[\"a\",\"b\"]}],\"tree\":{\"v\":1,\"kids\":[{\"v\":2,\"kids\":[]}]}}");
        assertRefused(g, "{\"people\":[{\"name\":\"x\",\"tags\":[\"c\"]");
        assertRefused(g, "{\"people\":[],\"tree\":{\"v\":1,\"kids\":[{\"v\":\"2\"");
    }

    @Test
    void unsupportedKeywordsAreRefusedByTheirPath() throws Exception {
        assertEquals(PATH + ".properties.name.pattern is not supported",
                refusal("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"pattern\":\"^a\"}}}"));
        assertEquals(PATH + ".items.minLength is not supported",
                refusal("{\"type\":\"array\",\"items\":{\"type\":\"string\",\"minLength\":1}}"));
        assertEquals(PATH + ".oneOf is not supported", refusal("{\"oneOf\":[{\"type\":\"string\"}]}"));
        assertEquals(PATH + ".allOf is not supported", refusal("{\"allOf\":[{\"type\":\"string\"}]}"));
        assertEquals(PATH + ".properties.when.format is not supported",
                refusal("{\"type\":\"object\",\"properties\":{\"when\":{\"type\":\"string\",\"format\":\"date\"}}}"));
        assertTrue(refusal("{\"type\":\"object\",\"properties\":{},\"additionalProperties\":{\"type\":\"string\"}}")
                .startsWith(PATH + ".additionalProperties"));
        assertTrue(refusal("{\"type\":\"string\",\"items\":{}}").startsWith(PATH + ".items needs \"type\": \"array\""));
        assertTrue(refusal("{\"type\":\"object\",\"properties\":{\"a\":{}},\"required\":[\"b\"]}").contains("\"b\""));
        assertTrue(refusal("{\"$ref\":\"https://example.com/s.json\"}").startsWith(PATH + ".$ref"));
        assertTrue(refusal("{\"$ref\":\"#/$defs/a\",\"$defs\":{\"a\":{\"anyOf\":[{\"$ref\":\"#/$defs/a\"}]}}}")
                .contains("refers back to itself"));
        assertTrue(refusal("{\"type\":\"date\"}").startsWith(PATH + ".type"));
        assertTrue(refusal("{\"enum\":[{\"a\":1}]}").startsWith(PATH + ".enum"));
        assertTrue(refusal("{\"type\":\"string\",\"enum\":[1]}").startsWith(PATH + ".enum"));
        assertTrue(refusal("{\"enum\":[1e400]}").startsWith(PATH + ".enum"));
    }
}
