package sortedllama.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import sortedllama.BadInputException;

/**
 * Hugging Face byte-level BPE against Hugging Face's own tokenizers library (the Rust one; ids
 * made by tools/tokenizer/make_byte_level_fixtures.mjs): a faithful subset of the real Llama 3
 * vocabulary (real ids; special tokens, 3-digit groups, contractions, newlines, whitespace runs,
 * emoji), three variants of its configuration (GPT-2's split with a prefix space, a Split step
 * before ByteLevel's own regex, NFC/NFKC normalisers, merges as pairs), and the demo's
 * {@link BpeTrainer} vocabulary.
 */
class ByteLevelBpeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Tokenizer llama3;

    static Tokenizer llama3() {
        if (llama3 == null) llama3 = Tokenizers.load(TokenizerFixtures.resource("llama3_subset.json"), -1);
        return llama3;
    }

    static Stream<Arguments> llama3Cases() {
        return TokenizerFixtures.encodeCases(TokenizerFixtures.json("llama3_expected.json").get("cases"));
    }

    static Stream<Arguments> llama3Decodes() {
        return TokenizerFixtures.decodeCases(TokenizerFixtures.json("llama3_expected.json").get("decode"));
    }

    static Stream<Arguments> variantCases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (JsonNode v : TokenizerFixtures.json("llama3_expected.json").get("variants")) {
            for (JsonNode c : v.get("cases")) {
                String text = c.get("text").asText();
                b.add(Arguments.of(v.get("name").asText(), v.get("patch"), Named.of(TokenizerFixtures.visible(text), text),
                        TokenizerFixtures.ids(c.get("ids"))));
            }
        }
        return b.build();
    }

    static Stream<Arguments> wordnetCases() {
        return TokenizerFixtures.encodeCases(TokenizerFixtures.json("wordnet_bpe_600_expected.json").get("cases"));
    }

    @ParameterizedTest(name = "llama3 \"{0}\"")
    @MethodSource("llama3Cases")
    void llama3EncodesAsHuggingFace(String text, int[] ids, String decoded) {
        assertArrayEquals(ids, llama3().encode(text, true)); // Hugging Face parses added tokens by default
        assertEquals(decoded, llama3().decode(ids));
    }

    @ParameterizedTest(name = "llama3 decodes {0}")
    @MethodSource("llama3Decodes")
    void llama3DecodesAsHuggingFace(int[] ids, String text) {
        assertEquals(text, llama3().decode(ids));
    }

    @ParameterizedTest(name = "{0}: \"{2}\"")
    @MethodSource("variantCases")
    void configurationVariantsEncodeAsHuggingFace(String variant, JsonNode patch, String text, int[] ids, @TempDir Path dir)
            throws IOException {
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, JSON.writeValueAsString(patched(patch)));
        assertArrayEquals(ids, Tokenizers.load(file, -1).encode(text, true));
    }

    /** The subset with a variant's changes, as make_byte_level_fixtures.mjs applies them. */
    private static ObjectNode patched(JsonNode patch) throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(TokenizerFixtures.resource("llama3_subset.json").toFile());
        ObjectNode model = (ObjectNode) root.get("model");
        if (patch.has("pre_tokenizer")) root.set("pre_tokenizer", patch.get("pre_tokenizer"));
        if (patch.has("normalizer")) root.set("normalizer", patch.get("normalizer"));
        if (patch.has("ignore_merges")) model.set("ignore_merges", patch.get("ignore_merges"));
        if (patch.path("pairMerges").asBoolean(false)) {
            ArrayNode pairs = JSON.createArrayNode();
            for (JsonNode m : model.get("merges")) {
                String[] parts = m.asText().split(" ");
                pairs.addArray().add(parts[0]).add(parts[1]);
            }
            model.set("merges", pairs);
        }
        return root;
    }

    @ParameterizedTest(name = "wordnet \"{0}\"")
    @MethodSource("wordnetCases")
    void bpeTrainerVocabularyEncodesAsHuggingFace(String text, int[] ids, String decoded) {
        Tokenizer t = Tokenizers.load(TokenizerFixtures.resource("wordnet_bpe_600.json"), 600);
        assertArrayEquals(ids, t.encode(text, true));
        assertEquals(decoded, t.decode(ids));
    }

    @Test
    void llama3SpecialTokens() {
        Tokenizer t = llama3();
        assertEquals(128256, t.vocabSize());
        assertEquals(128000, t.bosId()); // no tokenizer_config.json beside it: found among the added tokens
        assertEquals(128001, t.eosId());
        assertEquals(128009, t.specialTokenId("<|eot_id|>").getAsInt());
        assertEquals(128255, t.specialTokenId("<|reserved_special_token_247|>").getAsInt());
        assertTrue(t.specialTokenId("<s>").isEmpty());
        assertEquals("<|eot_id|>", t.tokenText(128009));
        assertEquals("\u0120the", t.tokenText(279));
        assertArrayEquals(new int[] {128000, 9906}, t.encodeAfterBos("Hello", 1));
        assertTrue(((ByteLevelBpe) t).chatTemplate().isEmpty());
        var e = assertThrows(BadInputException.class, () -> t.decodeBytes(127999)); // an id the subset leaves out
        assertEquals("token has id 127999, which is not in the vocabulary of 128256", e.getMessage());
    }

    @Test
    void configBesideTheFileGivesBosEosAndChatTemplate(@TempDir Path dir) throws IOException {
        Files.copy(TokenizerFixtures.resource("llama3_subset.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"bos_token": "<|begin_of_text|>", "eos_token": {"content": "<|eot_id|>"},
                 "chat_template": "{{ bos_token }}{% for m in messages %}{{ m['content'] }}{% endfor %}"}""");
        ByteLevelBpe t = (ByteLevelBpe) Tokenizers.load(dir, 128256); // a directory holding tokenizer.json
        assertEquals(128000, t.bosId());
        assertEquals(128009, t.eosId());
        assertEquals("{{ bos_token }}{% for m in messages %}{{ m['content'] }}{% endfor %}", t.chatTemplate().orElseThrow());
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}""");
        assertEquals("D", ((ByteLevelBpe) Tokenizers.load(dir, -1)).chatTemplate().orElseThrow());
    }

    @Test
    void aLongTextRoundTrips() { // its speed: bench tokenize
        String text = "The quick brown fox jumps over the lazy dog: 1234567, caf\u00e9 \u4e16\u754c \uD83D\uDE00!\n\n".repeat(3000);
        int[] ids = llama3().encode(text);
        assertEquals(text, llama3().decode(ids));
    }

    static Stream<Arguments> badFiles() {
        String good = "\"model\": {\"type\": \"BPE\", \"vocab\": %s, \"merges\": %s}, \"pre_tokenizer\": %s";
        String bytes = byteVocab();
        String byteLevel = "{\"type\": \"ByteLevel\"}";
        return Stream.of(
                Arguments.of("{\"model\": {\"type\": \"BPE\", ", "malformed JSON"),
                Arguments.of("{" + good.formatted("{\"a\": 0}", "[]", byteLevel) + "}", "lacks the token for byte"),
                Arguments.of("{" + good.formatted(bytes, "[\"ab c\"]", byteLevel) + "}", "merge 0 \"ab c\": \"ab\" is not in the vocabulary"),
                Arguments.of("{" + good.formatted(bytes, "[\"x y\"]", byteLevel) + "}", "merge 0 \"x y\": \"xy\" is not in the vocabulary"),
                Arguments.of("{" + good.formatted(bytes, "[\"abc\"]", byteLevel) + "}", "merge 0 \"abc\" is not two tokens"),
                Arguments.of("{" + good.formatted("{\"a\": -3}", "[]", byteLevel) + "}", "has id -3, not a token id"),
                Arguments.of("{\"model\": {\"type\": \"Unigram\"}}", "tokenizer model type \"Unigram\" is not supported"),
                Arguments.of("{\"model\": {\"type\": \"BPE\", \"byte_fallback\": true}}", "give its tokenizer.model instead"),
                Arguments.of("{" + good.formatted(bytes, "[]", "{\"type\": \"Metaspace\"}") + "}", "pre-tokenizer \"Metaspace\" is not supported"),
                Arguments.of("{" + good.formatted(bytes, "[]", "{\"type\": \"Split\", \"pattern\": {\"Regex\": \"a\"}}") + "}",
                        "no ByteLevel pre-tokenizer"),
                Arguments.of("{" + good.formatted(bytes, "[]", byteLevel) + ", \"normalizer\": {\"type\": \"Lowercase\"}}",
                        "normalizer \"Lowercase\" is not supported"),
                Arguments.of("{" + good.formatted(bytes, "[]", "{\"type\": \"Split\", \"pattern\": {\"Regex\": \"(\"}}") + "}",
                        "pre-tokenizer pattern cannot be compiled"),
                Arguments.of("{" + good.formatted(bytes, "[]", byteLevel) + ", \"added_tokens\": [{\"id\": \"x\", \"content\": \"<s>\"}]}",
                        "added token \"<s>\" has id \"x\""));
    }

    /** A vocabulary of the 256 byte tokens, ids 0-255. */
    private static String byteVocab() {
        ObjectNode vocab = JSON.createObjectNode();
        for (int b = 0; b < 256; b++) vocab.put(String.valueOf(Gpt2ByteMap.charOf(b)), b);
        return vocab.toString();
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("badFiles")
    void badFilesAreReportedByName(String content, String problem, @TempDir Path dir) throws IOException {
        Path bad = dir.resolve("tokenizer.json");
        Files.writeString(bad, content);
        var e = assertThrows(BadInputException.class, () -> Tokenizers.load(bad, -1));
        assertTrue(e.getMessage().startsWith(bad + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(problem), e.getMessage());
    }
}
