package sortedllama.infer.json;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sortedllama.SharedData;
import sortedllama.infer.ContinuousBatcher;
import sortedllama.infer.DecodePlan;
import sortedllama.infer.Generator;
import sortedllama.infer.Sampler;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaModel;
import sortedllama.model.TestModels;
import sortedllama.tokenizer.StreamingDecoder;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.tokenizer.Tokenizers;

/**
 * Token masking with the real LLaMA 2 vocabulary (multi-character pieces, ▁ for spaces, byte
 * tokens): the trie's mask agrees with checking each token alone, the greedy shortcut picks what
 * masking everything picks, and a random model's constrained output parses and fits its schema.
 */
class JsonConstraintTest {
    static final ObjectMapper JSON = new ObjectMapper();
    /** A schema whose every value is bounded (enums, booleans, short arrays), so even a random model must finish it. */
    static final String SCHEMA = """
            {"type":"object","properties":{
               "mood":{"enum":["happy","sad"]},
               "score":{"type":"integer","enum":[1,2,3]},
               "flags":{"type":"array","items":{"type":"boolean"},"maxItems":3},
               "note":{"type":"null"},
               "pet":{"anyOf":[{"type":"null"},
                               {"type":"object","properties":{"kind":{"enum":["cat","dog"]},"indoor":{"type":"boolean"}},
                                "required":["kind","indoor"]}]}},
             "required":["mood","score","flags","pet"]}""";
    static Tokenizer tokenizer;
    static TokenTrie vocabulary;

    @BeforeAll
    static void load() {
        tokenizer = Tokenizers.load(SharedData.llama2TokenizerModel(), -1);
        vocabulary = TokenTrie.of(tokenizer);
    }

    static ValueGrammar schema() throws JsonProcessingException {
        return JsonGrammars.fromSchema(JSON.readTree(SCHEMA), "schema");
    }

    /** A constraint that has taken the tokens of {@code prefix} (as the tokenizer encodes it, with its leading space). */
    static JsonConstraint after(ValueGrammar g, String prefix) {
        var c = new JsonConstraint(g, vocabulary, Set.of(tokenizer.eosId()));
        for (int t : tokenizer.encode(prefix)) c.accept(t);
        return c;
    }

    static List<JsonConstraint> states() throws JsonProcessingException {
        ValueGrammar any = JsonGrammars.anyObject(), s = schema();
        return List.of(after(any, ""), after(any, "{"), after(any, "{\"na"), after(any, "{\"name\": \"Jo"), after(any, "{\"a\": [1, 2"),
                after(any, "{\"a\": 1}"), after(s, "{\"mood\": \"ha"), after(s, "{\"mood\": \"sad\", \"score\": "),
                after(s, "{\"mood\": \"sad\", \"score\": 2, \"flags\": [true, false, true"));
    }

    @Test
    void theTriesMaskIsCheckingEveryTokenAlone() throws JsonProcessingException {
        int allowedSomewhere = 0;
        for (JsonConstraint c : states()) {
            boolean[] mask = c.allowed();
            for (int t = 0; t < tokenizer.vocabSize(); t++) {
                if (mask[t] != c.allows(t)) throw new AssertionError("token " + t + " (" + tokenizer.tokenText(t) + ")");
                if (mask[t]) allowedSomewhere++;
            }
        }
        assertTrue(allowedSomewhere > 0);
        JsonConstraint open = after(JsonGrammars.anyObject(), "{");
        assertTrue(open.allows(tokenizer.encode("\"")[0]) || open.allows(tokenizer.encode(" \"")[0]), "a key may start");
        assertFalse(open.allows(tokenizer.encode("hello")[0]), "prose may not");
        assertFalse(open.allows(tokenizer.eosId()), "nor the end, before the object is closed");
        assertTrue(after(JsonGrammars.anyObject(), "{\"a\": 1}").allows(tokenizer.eosId()));
        assertFalse(open.allows(tokenizer.bosId()), "control tokens are never text");
        JsonConstraint inString = after(JsonGrammars.anyObject(), "{\"name\": \"Jo");
        assertTrue(inString.allows(tokenizer.encode("é")[tokenizer.encode("é").length - 1]), "characters beyond ASCII in strings");
        int leadByte = byteToken(0xE6);
        assertTrue(inString.allows(leadByte), "a byte token that begins a character, inside a string");
        assertFalse(open.allows(leadByte), "but not outside one");
    }

    /** The id of the byte-fallback token of {@code b}. */
    static int byteToken(int b) {
        for (int t = 0; t < tokenizer.vocabSize(); t++) {
            if (tokenizer.tokenText(t).equals("<0x%02X>".formatted(b))) return t;
        }
        throw new AssertionError("no byte token " + b);
    }

    @Test
    void theGreedyShortcutPicksWhatMaskingEverythingPicks() throws JsonProcessingException {
        Random random = new Random(5);
        for (JsonConstraint c : states()) {
            for (int trial = 0; trial < 20; trial++) {
                float[] logits = new float[tokenizer.vocabSize()];
                for (int i = 0; i < logits.length; i++) logits[i] = (float) random.nextGaussian();
                // now and then make an allowed token the argmax, so the shortcut's early return is taken too
                if (trial % 2 == 0) {
                    boolean[] mask = c.allowed();
                    for (int i = 0; i < mask.length; i++) if (mask[i]) logits[i] += 10;
                }
                float[] copy = logits.clone();
                float[] masked = c.restrict(logits, false);
                assertArrayEquals(copy, logits, "the logits are left alone");
                boolean[] mask = c.allowed();
                for (int i = 0; i < masked.length; i++) assertEquals(mask[i] ? logits[i] : Float.NEGATIVE_INFINITY, masked[i]);
                assertEquals(Sampler.argmax(masked, 0, masked.length), Sampler.argmax(c.restrict(logits, true), 0, masked.length));
                if (trial % 2 == 0) assertSame(logits, c.restrict(logits, true), "an allowed argmax needs no mask");
            }
        }
    }

    @Test
    void aRandomModelsConstrainedOutputIsJsonOfTheSchemaInEveryMode() throws Exception {
        // speculation drafts at exit 1 and verifies at 2, each masked; its greedy output must be full depth's
        LlamaConfig config = TestModels.tinyConfig(2, tokenizer.vocabSize(), 1024);
        LlamaModel model = TestModels.random(config, 3, 4f);
        int[] prompt = tokenizer.encodeAfterBos("Answer in JSON:", -1);
        List<DecodePlan> plans = List.of(DecodePlan.fixedExit(2, config), DecodePlan.fixedExit(1, config),
                DecodePlan.of("adaptive", null, null, null, null, true, "0.5", null, ExitSet.all(2), config),
                DecodePlan.of("speculative", null, null, 1, 3, false, null, null, ExitSet.all(2), config));
        String fullGreedy = null;
        try (var batcher = new ContinuousBatcher(model, 4, 64)) {
            String unconstrained = text(prompt, batcher.generate(prompt, 60, plans.getFirst(), Sampler.greedy(), tokenizer.eosId(), -1,
                    (t, lp) -> {}));
            assertThrows(Exception.class, () -> checkFitsSchema(JSON.readTree(unconstrained)), "without the constraint: not such JSON");
            for (DecodePlan plan : plans) {
                for (Sampler sampler : List.of(Sampler.greedy(), new Sampler(1f, 0, 1f, 11))) {
                    var constraint = new JsonConstraint(schema(), vocabulary, Set.of(tokenizer.eosId()));
                    Generator.Result r = batcher.generate(prompt, 900, plan, sampler, tokenizer.eosId(), -1, constraint, (t, lp) -> {});
                    assertEquals(Generator.StopReason.EOS, r.stop(), plan.mode() + ": the value is finished, then EOS");
                    checkFitsSchema(JSON.readTree(text(prompt, r)));
                    if (sampler.isGreedy() && plan.mode() == DecodePlan.Mode.FULL) fullGreedy = text(prompt, r);
                    if (sampler.isGreedy() && plan.mode() == DecodePlan.Mode.SPECULATIVE) assertEquals(fullGreedy, text(prompt, r));
                }
            }
            var constraint = new JsonConstraint(schema(), vocabulary, Set.of(tokenizer.eosId()));
            Generator.Result cut = batcher.generate(prompt, 4, plans.getFirst(), Sampler.greedy(), tokenizer.eosId(), -1, constraint,
                    (t, lp) -> {});
            assertEquals(Generator.StopReason.MAX_TOKENS, cut.stop());
            assertFalse(constraint.complete());
            assertNotNull(schema().document().step(text(prompt, cut).getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                    "cut short, the text is still a prefix of the schema's language");
        }
    }

    static String text(int[] prompt, Generator.Result r) {
        return StreamingDecoder.decodeAfter(tokenizer, prompt, r.tokens());
    }

    /** Throws unless the value has the schema's required properties with their types and values. */
    static void checkFitsSchema(JsonNode v) {
        assertTrue(v.isObject(), v.toString());
        assertTrue(Set.of("happy", "sad").contains(v.get("mood").textValue()), v.toString());
        assertTrue(v.get("score").isInt() && Set.of(1, 2, 3).contains(v.get("score").intValue()), v.toString());
        assertTrue(v.get("flags").isArray() && v.get("flags").size() <= 3, v.toString());
        for (JsonNode f : v.get("flags")) assertTrue(f.isBoolean(), v.toString());
        if (v.has("note")) assertTrue(v.get("note").isNull(), v.toString());
        JsonNode pet = v.get("pet");
        assertNotNull(pet, v.toString());
        if (!pet.isNull()) {
            assertTrue(Set.of("cat", "dog").contains(pet.get("kind").textValue()), v.toString());
            assertTrue(pet.get("indoor").isBoolean(), v.toString());
            assertEquals(2, pet.size(), v.toString());
        }
        var names = new java.util.HashSet<String>();
        v.fieldNames().forEachRemaining(names::add);
        assertTrue(Set.of("mood", "score", "flags", "note", "pet").containsAll(names), v.toString());
    }
}
