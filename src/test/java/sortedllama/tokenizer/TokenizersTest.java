package sortedllama.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sortedllama.BadInputException;
import sortedllama.SharedData;

/** Choosing a reader by file, and tokenizers built from GGUF vocabularies, checked against the reference ids. */
class TokenizersTest {
    @Test
    void choosesTheReaderByFileOrDirectory(@TempDir Path dir) throws IOException {
        assertInstanceOf(SentencePieceBpe.class, Tokenizers.load(TokenizerFixtures.resource("sp_tiny.model"), -1));
        assertInstanceOf(ByteLevelBpe.class, Tokenizers.load(TokenizerFixtures.resource("llama3_subset.json"), -1));
        Files.copy(TokenizerFixtures.resource("sp_tiny.model"), dir.resolve("tokenizer.model"));
        assertInstanceOf(SentencePieceBpe.class, Tokenizers.load(dir, -1));
        Files.copy(TokenizerFixtures.resource("llama3_subset.json"), dir.resolve("tokenizer.json"));
        assertInstanceOf(ByteLevelBpe.class, Tokenizers.load(dir, -1), "tokenizer.json comes first");
    }

    @Test
    void missingOrUnknownFilesAreReportedByName(@TempDir Path dir) throws IOException {
        var missing = assertThrows(BadInputException.class, () -> Tokenizers.load(dir.resolve("nope.model"), -1));
        assertEquals(dir.resolve("nope.model") + ": no such tokenizer file", missing.getMessage());
        var empty = assertThrows(BadInputException.class, () -> Tokenizers.load(dir, -1));
        assertEquals(dir + ": directory holds no tokenizer.json, tokenizer.model, tokenizer.bin", empty.getMessage());
        Path txt = Files.writeString(dir.resolve("vocab.txt"), "a\nb\n");
        var unknown = assertThrows(BadInputException.class, () -> Tokenizers.load(txt, -1));
        assertEquals(txt + ": unknown kind of tokenizer file (expected .model, .bin, tokenizer.json or .gguf)", unknown.getMessage());
        Path notProtobuf = Files.writeString(dir.resolve("tokenizer.model"), "{\"this is\": \"json\"}");
        var corrupt = assertThrows(BadInputException.class, () -> Tokenizers.load(notProtobuf, -1));
        assertEquals(notProtobuf + ": ", corrupt.getMessage().substring(0, notProtobuf.toString().length() + 2));
    }

    @Test
    void refusesSentencePieceModelsItCannotReproduce(@TempDir Path dir) throws IOException {
        byte[] tiny = Files.readAllBytes(TokenizerFixtures.resource("sp_tiny.model"));
        // append a trainer_spec with model_type = 1 (unigram); protobuf's last value wins
        Path unigram = dir.resolve("unigram.model");
        Files.write(unigram, concat(tiny, new byte[] {0x12, 0x02, 0x18, 0x01}));
        var e = assertThrows(BadInputException.class, () -> Tokenizers.load(unigram, -1));
        assertEquals(unigram + ": SentencePiece unigram models are not supported (BPE models, as LLaMA's, are)", e.getMessage());
        // a normalizer_spec with a character map, as nmt_nfkc has
        Path nfkc = dir.resolve("nfkc.model");
        Files.write(nfkc, concat(tiny, new byte[] {0x1A, 0x0D, 0x0A, 0x08, 'n', 'm', 't', '_', 'n', 'f', 'k', 'c', 0x12, 0x01, 0x07}));
        var n = assertThrows(BadInputException.class, () -> Tokenizers.load(nfkc, -1));
        assertEquals(nfkc + ": SentencePiece normaliser \"nmt_nfkc\" is not supported (only \"identity\", as LLaMA uses, is)", n.getMessage());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void ggufLlamaVocabularyEncodesAsSentencePiece() {
        var fromModel = (SentencePieceBpe) Tokenizers.load(SharedData.llama2TokenizerModel(), 32000);
        Tokenizer gguf = Tokenizers.fromGguf(fromModel.toGgufVocabulary());
        assertInstanceOf(SentencePieceBpe.class, gguf);
        for (JsonNode c : TokenizerFixtures.json("llama2_expected.json").get("cases")) {
            assertArrayEquals(TokenizerFixtures.ids(c.get("ids")), gguf.encode(c.get("text").asText()), c.get("text").asText());
            assertEquals(c.get("decoded").asText(), gguf.decode(TokenizerFixtures.ids(c.get("ids"))));
        }
        // without token types, LLaMA's conventions give the same tokenizer
        var v = fromModel.toGgufVocabulary();
        Tokenizer untyped = Tokenizers.fromGguf(new GgufVocabulary("llama", v.tokens(), v.scores(), null, null, 1, 2, null, null,
                true, false));
        assertArrayEquals(gguf.encode("Hi \uD83D\uDE00 <s>"), untyped.encode("Hi \uD83D\uDE00 <s>"));
    }

    @Test
    void ggufGpt2VocabularyWithLlama3SplitEncodesAsHuggingFace() throws IOException {
        Tokenizer gguf = Tokenizers.fromGguf(llama3SubsetAsGguf("llama-bpe"));
        assertInstanceOf(ByteLevelBpe.class, gguf);
        for (JsonNode c : TokenizerFixtures.json("llama3_expected.json").get("cases")) {
            assertArrayEquals(TokenizerFixtures.ids(c.get("ids")), gguf.encode(c.get("text").asText(), true), c.get("text").asText());
        }
        assertEquals(128009, gguf.specialTokenId("<|eot_id|>").getAsInt());
        assertEquals("{{ messages }}", ((ByteLevelBpe) gguf).chatTemplate().orElseThrow());
    }

    @Test
    void unsupportedGgufVocabulariesAreRefused() throws IOException {
        var unknownModel = new GgufVocabulary("bert", new String[] {"a"}, null, null, null, -1, -1, null, null, false, false);
        assertEquals("GGUF tokenizer model \"bert\" is not supported (llama and gpt2 are)",
                assertThrows(BadInputException.class, () -> Tokenizers.fromGguf(unknownModel)).getMessage());
        assertEquals("GGUF pre-tokenizer \"qwen2\" is not supported (gpt-2, gpt2, default, llama-bpe, llama3, smaug-bpe, dbrx are)",
                assertThrows(BadInputException.class, () -> Tokenizers.fromGguf(llama3SubsetAsGguf("qwen2"))).getMessage());
        var noMerges = new GgufVocabulary("gpt2", new String[] {"a"}, null, null, null, -1, -1, null, null, false, false);
        assertEquals("GGUF gpt2 vocabulary without tokenizer.ggml.merges",
                assertThrows(BadInputException.class, () -> Tokenizers.fromGguf(noMerges)).getMessage());
        var badBos = new GgufVocabulary("llama", new String[] {"<unk>", "a"}, new float[2], new int[] {2, 1}, null, 7, -1, null, null,
                true, false);
        assertEquals("BOS id 7 is outside the vocabulary of 2 pieces",
                assertThrows(BadInputException.class, () -> Tokenizers.fromGguf(badBos)).getMessage());
    }

    /** The Llama 3 subset as llama.cpp's converter would store it: every id filled, special tokens typed control. */
    private static GgufVocabulary llama3SubsetAsGguf(String pre) throws IOException {
        JsonNode root = new ObjectMapper().readTree(TokenizerFixtures.resource("llama3_subset.json").toFile());
        String[] tokens = new String[128256];
        int[] types = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = "<|unused " + i + "|>"; // ids the subset leaves out
            types[i] = PieceTypes.UNUSED;
        }
        root.get("model").get("vocab").properties().forEach(e -> {
            tokens[e.getValue().asInt()] = e.getKey();
            types[e.getValue().asInt()] = PieceTypes.NORMAL;
        });
        for (JsonNode t : root.get("added_tokens")) types[t.get("id").asInt()] = PieceTypes.CONTROL;
        List<String> merges = new ArrayList<>();
        root.get("model").get("merges").forEach(m -> merges.add(m.asText()));
        return new GgufVocabulary("gpt2", tokens, null, types, merges.toArray(String[]::new), 128000, 128009, pre, "{{ messages }}",
                false, false);
    }

    static String refusal(Path file) {
        String message = assertThrows(BadInputException.class, () -> Tokenizers.load(file, -1)).getMessage();
        assertTrue(message.startsWith(file.toString()) && !message.contains("\n"), message);
        return message;
    }

    @Test
    void aLlama2cTokenLengthBeyondTheFileIsRefusedBeforeAllocating(@TempDir Path dir) throws IOException {
        // 433 KB claiming a first token of 0x7ffffff0 bytes: 2 GB if believed
        var b = ByteBuffer.allocate(433_000).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x7ffffff0).putFloat(0f).putInt(0x7ffffff0);
        Path file = Files.write(dir.resolve("tokenizer.bin"), b.array());
        String message = refusal(file);
        assertTrue(message.contains("token 0 claims 2147483632 bytes but 432988 remain"), message);
    }

    @Test
    void aTokenizerJsonWithoutMergesIsRefused(@TempDir Path dir) throws IOException {
        ObjectMapper json = new ObjectMapper();
        JsonNode full = json.readTree(TokenizerFixtures.resource("wordnet_bpe_600.json").toFile());
        var noMerges = full.deepCopy();
        ((ObjectNode) noMerges.get("model")).remove("merges");
        Path file = Files.writeString(dir.resolve("tokenizer.json"), json.writeValueAsString(noMerges));
        assertTrue(refusal(file).contains("model.merges is missing"));
    }
}
