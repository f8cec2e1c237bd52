package sortedllama.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sortedllama.BadInputException;
import sortedllama.SharedData;
import sortedllama.TestModels;
import sortedllama.io.GgufWriter;
import sortedllama.io.ModelFile;
import sortedllama.io.ModelLoader;
import sortedllama.model.LlamaWeights;

/**
 * GGUF files carry their tokenizer: a model written with a tokenizer's vocabulary loads back
 * (ModelLoader, the embedded tokenizer) with the same tokens, scores, types and merges, encoding
 * and decoding as the original and as the reference library (the expected ids of the fixtures).
 */
class GgufRoundTripTest {
    @TempDir Path dir;

    /** Text that trips tokenizers: spaces at the ends and in runs, control characters, Unicode beyond the BMP, digits, specials. */
    private static final String[] TRICKY = {"", " ", "   ", "Hello world", "  two  spaces  ", "\ttab\nnewline\r\n\n end\n",
        "café naïve Ünïcödé", "世界 こんにちは 안녕", "emoji 😀👍🏽 𐍈", "e\u0301 and \u200d joiner",
        "\u0000 nul \u0007 bell", "digits 1234567 3.14159 1,000,000 00042", "<s> </s> <unk> [INST] hi [/INST]",
        "<|begin_of_text|>x<|eot_id|> <|end_of_text|>",
        "'s 'T 'RE don't I'LL", "\u2581literal\u2581", "<0x41> <0xFF>", "trailing space "};

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama2/tokenizer.model", "llama2/tokenizer.bin", "sp_tiny.model", "sp_tiny_strip.model",
        "wordnet_bpe_600.json", "llama3_subset.json"})
    void embeddedVocabularyTokenizesAsTheOriginal(String name) {
        Tokenizer original = open(name);
        Path gguf = dir.resolve("m.gguf");
        GgufWriter.write(gguf, TestModels.withVocabulary(original.vocabSize()), null, Tokenizers.toGguf(original));
        try (ModelFile back = ModelLoader.open(gguf)) {
            Tokenizer t = back.embeddedTokenizer();
            assertNotNull(t, "the file embeds its vocabulary");
            assertEquals(original.getClass(), t.getClass());
            GgufVocabulary written = Tokenizers.toGguf(original);
            assertSameVocabulary(written, Tokenizers.toGguf(t));
            assertEquals(original.bosId(), back.config().bosId());
            assertEquals(original.eosId(), back.config().eosId());
            assertEquals(original.bosId() >= 0 ? "true" : "false", back.metadata().get("tokenizer.ggml.add_bos_token"));
            for (String text : TRICKY) {
                int[] ids = original.encode(text);
                assertArrayEquals(ids, t.encode(text), TokenizerFixtures.visible(text));
                assertArrayEquals(original.encode(text, true), t.encode(text, true), "parsing specials: " + TokenizerFixtures.visible(text));
                assertEquals(original.decode(ids), t.decode(ids), TokenizerFixtures.visible(text));
            }
            for (int id = 0; id < original.vocabSize(); id++) {
                if (written.tokens()[id].startsWith("[PAD")) continue; // an id without a token
                assertArrayEquals(original.decodeBytes(id), t.decodeBytes(id), "token " + id);
                assertEquals(original.specialTokenId(original.tokenText(id)), t.specialTokenId(t.tokenText(id)), "token " + id);
            }
            JsonNode expected = expected(name);
            for (JsonNode c : expected.get("cases")) {
                String text = c.get("text").asText();
                assertArrayEquals(TokenizerFixtures.ids(c.get("ids")), TokenizerFixtures.encodeAsReference(t, text), "reference of " + TokenizerFixtures.visible(text));
                if (c.has("decoded")) assertEquals(c.get("decoded").asText(), t.decode(TokenizerFixtures.ids(c.get("ids"))));
            }
            for (JsonNode c : expected.path("decode")) {
                assertEquals(c.get("text").asText(), t.decode(TokenizerFixtures.ids(c.get("ids"))), c.get("ids").toString());
            }
        }
    }

    private static void assertSameVocabulary(GgufVocabulary a, GgufVocabulary b) {
        assertEquals(a.model(), b.model());
        assertArrayEquals(a.tokens(), b.tokens());
        assertArrayEquals(a.scores(), b.scores());
        assertArrayEquals(a.tokenTypes(), b.tokenTypes());
        assertArrayEquals(a.merges(), b.merges());
        assertEquals(a.bosId(), b.bosId());
        assertEquals(a.eosId(), b.eosId());
        assertEquals(a.unknownId(), b.unknownId());
        assertEquals(a.pre(), b.pre());
        assertEquals(a.chatTemplate(), b.chatTemplate());
        assertEquals(a.addSpacePrefix(), b.addSpacePrefix());
        assertEquals(a.removeExtraWhitespaces(), b.removeExtraWhitespaces());
    }

    @Test
    void standardKeysAreWritten() {
        Tokenizer llama3 = open("llama3_subset.json");
        Path gguf = dir.resolve("m.gguf");
        GgufWriter.write(gguf, TestModels.withVocabulary(llama3.vocabSize()), null, Tokenizers.toGguf(llama3));
        try (ModelFile back = ModelLoader.open(gguf)) {
            Map<String, String> m = back.metadata();
            assertEquals("gpt2", m.get("tokenizer.ggml.model"));
            assertEquals("llama-bpe", m.get("tokenizer.ggml.pre"), "Llama 3's split with ignore_merges");
            assertEquals("[array of 128256 strings]", m.get("tokenizer.ggml.tokens"));
            assertEquals("[array of 128256 integers]", m.get("tokenizer.ggml.token_type"));
            assertTrue(m.get("tokenizer.ggml.merges").matches("\\[array of \\d+ strings]"), m.get("tokenizer.ggml.merges"));
            assertEquals("128000", m.get("tokenizer.ggml.bos_token_id"));
            assertEquals("false", m.get("tokenizer.ggml.add_eos_token"));
            assertTrue(back.embeddedTokenizer().specialTokenId("<|eot_id|>").isPresent());
        }
        Tokenizer wordnet = open("wordnet_bpe_600.json"); // Llama 3's split without ignore_merges: llama.cpp's smaug-bpe
        assertEquals("smaug-bpe", Tokenizers.toGguf(wordnet).pre());
        Tokenizer llama2 = open("sp_tiny.model");
        GgufWriter.write(gguf, TestModels.withVocabulary(llama2.vocabSize()), null, Tokenizers.toGguf(llama2));
        try (ModelFile back = ModelLoader.open(gguf)) {
            Map<String, String> m = back.metadata();
            assertEquals("llama", m.get("tokenizer.ggml.model"));
            assertTrue(m.get("tokenizer.ggml.scores").matches("\\[array of \\d+ floats]"), m.get("tokenizer.ggml.scores"));
            assertEquals("0", m.get("tokenizer.ggml.unknown_token_id"));
            assertEquals("true", m.get("tokenizer.ggml.add_space_prefix"));
        }
    }

    @Test
    void aVocabularyOfAnotherSizeIsRefusedAtWriteTime() {
        Tokenizer sp = open("sp_tiny.model");
        Path gguf = dir.resolve("m.gguf");
        LlamaWeights model = TestModels.withVocabulary(sp.vocabSize() + 1);
        var e = assertThrows(BadInputException.class, () -> GgufWriter.write(gguf, model, null, Tokenizers.toGguf(sp)));
        assertEquals(gguf + ": the vocabulary has " + sp.vocabSize() + " tokens but the model has " + (sp.vocabSize() + 1)
                + ": they do not belong together", e.getMessage());
        assertTrue(Files.notExists(gguf));
    }

    @Test
    void whatGgufCannotRecordIsRefusedByName() {
        String[] bytes = new String[256];
        for (int b = 0; b < 256; b++) bytes[b] = String.valueOf(Gpt2ByteMap.charOf(b));
        var nfc = new ByteLevelBpe(bytes, null, List.of(), Map.of(), List.of(Normalizer.Form.NFC),
                PreTokenizer.regex(PreTokenizer.GPT2_SPLIT), false, -1, -1, null);
        assertEquals("its Unicode normalisation [NFC] has no GGUF key",
                assertThrows(BadInputException.class, () -> Tokenizers.toGguf(nfc)).getMessage());
        var gpt2WholeWords = new ByteLevelBpe(bytes, List.of(), Map.of(), PreTokenizer.GPT2_SPLIT, true, -1, -1, null);
        assertEquals("its pre-tokenizer with ignore_merges has no tokenizer.ggml.pre name (GPT-2's and Llama 3's splits have)",
                assertThrows(BadInputException.class, () -> Tokenizers.toGguf(gpt2WholeWords)).getMessage());
        var gpt2 = new ByteLevelBpe(bytes, List.of(), Map.of(), PreTokenizer.GPT2_SPLIT, false, -1, -1, null);
        assertEquals("gpt-2", Tokenizers.toGguf(gpt2).pre());
        int[] types = {PieceTypes.UNKNOWN, PieceTypes.NORMAL};
        var otherUnknown = new SentencePieceBpe(new String[] {"<unk>", "a"}, new float[2], types, -1, -1, false,
                SentencePieceNormalizer.LLAMA, "?");
        assertEquals("its unknown piece decodes as \"?\", which GGUF cannot record",
                assertThrows(BadInputException.class, () -> Tokenizers.toGguf(otherUnknown)).getMessage());
    }

    private static Tokenizer open(String name) {
        Path file = switch (name) {
            case "llama2/tokenizer.model" -> SharedData.llama2TokenizerModel();
            case "llama2/tokenizer.bin" -> SharedData.llama2TokenizerBin();
            default -> TokenizerFixtures.resource(name);
        };
        return Tokenizers.load(file, -1);
    }

    /** The reference library's ids for a vocabulary: "cases" (text, ids, decoded) and maybe "decode" (ids, text). */
    private static JsonNode expected(String name) {
        if (name.startsWith("llama2/")) return TokenizerFixtures.json("llama2_expected.json");
        if (name.startsWith("sp_tiny")) {
            for (JsonNode m : TokenizerFixtures.json("sp_tiny_expected.json").get("models")) {
                if (m.get("file").asText().equals(name)) return m;
            }
        }
        return TokenizerFixtures.json(name.equals("llama3_subset.json") ? "llama3_expected.json" : "wordnet_bpe_600_expected.json");
    }
}
