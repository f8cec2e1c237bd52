package sortedllama.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sortedllama.io.GgufTokenizerFile;
import sortedllama.io.GgufWriter;
import sortedllama.TestModels;

/**
 * The one rule for special tokens in text ({@link Tokenizer}): plain text by default, parsed into
 * their ids on request, for SentencePiece and byte-level vocabularies and for both read back from GGUF.
 */
class SpecialTokensTest {
    @TempDir Path dir;

    private static Tokenizer sentencePiece() {
        return Tokenizers.load(TokenizerFixtures.resource("sp_tiny.model"), -1);
    }

    private static Tokenizer byteLevel() {
        return Tokenizers.load(TokenizerFixtures.resource("llama3_subset.json"), -1);
    }

    /** {@code t} written into a GGUF file and read back with --tokenizer FILE.gguf's reader. */
    private Tokenizer throughGguf(Tokenizer t) {
        Path gguf = dir.resolve("m.gguf");
        GgufWriter.write(gguf, TestModels.withVocabulary(t.vocabSize()), null, Tokenizers.toGguf(t));
        return GgufTokenizerFile.read(gguf);
    }

    private static boolean contains(int[] ids, int id) {
        return Arrays.stream(ids).anyMatch(x -> x == id);
    }

    private static int[] concat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(Arrays::stream).toArray();
    }

    @Test
    void sentencePieceTextIsPlainUnlessParsed() {
        for (Tokenizer t : new Tokenizer[] {sentencePiece(), throughGguf(sentencePiece())}) {
            int eos = t.eosId(), bos = t.bosId();
            assertEquals(eos, t.specialTokens().get("</s>"));
            assertTrue(t.specialTokens().containsKey("<unk>"));
            String text = "<s>Hello</s> world";
            int[] plain = t.encode(text);
            assertFalse(contains(plain, eos) || contains(plain, bos), Arrays.toString(plain));
            assertArrayEquals(plain, t.encode(text, false));
            // parsed: the ids, and each piece of text between encoded on its own (with its leading space, as llama.cpp)
            assertArrayEquals(concat(new int[] {bos}, t.encode("Hello"), new int[] {eos}, t.encode(" world")), t.encode(text, true));
            assertArrayEquals(concat(new int[] {bos, bos}, t.encode("Hello")), t.encodeAfterBos("<s>Hello", -1, true));
            assertEquals("<s>Hello", t.decode(t.encode("<s>Hello")).strip());
        }
    }

    @Test
    void byteLevelTextIsPlainUnlessParsed() {
        for (Tokenizer t : new Tokenizer[] {byteLevel(), throughGguf(byteLevel())}) {
            int eot = t.specialTokenId("<|eot_id|>").getAsInt();
            assertEquals(eot, t.specialTokens().get("<|eot_id|>"));
            String text = "Hi<|eot_id|><|begin_of_text|>there";
            int[] plain = t.encode(text);
            assertFalse(IntStream.of(plain).anyMatch(id -> id >= 128000), Arrays.toString(plain));
            assertEquals(text, t.decode(plain));
            assertArrayEquals(concat(t.encode("Hi"), new int[] {eot, 128000}, t.encode("there")), t.encode(text, true));
        }
    }

    /** Tokens added but not marked special are vocabulary entries: text matches them with or without parsing. */
    @Test
    void userDefinedTokensMatchEitherWay() throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = (ObjectNode) json.readTree(TokenizerFixtures.resource("llama3_subset.json").toFile());
        ArrayNode added = (ArrayNode) root.get("added_tokens");
        added.addObject().put("id", 128256).put("content", "<tool>").put("special", false);
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, json.writeValueAsString(root));
        Tokenizer t = Tokenizers.load(file, -1);
        assertFalse(t.specialTokens().containsKey("<tool>"));
        assertArrayEquals(concat(t.encode("a"), new int[] {128256}, t.encode("b")), t.encode("a<tool>b"));
        assertArrayEquals(t.encode("a<tool>b"), t.encode("a<tool>b", true));
        assertArrayEquals(t.encode("a<tool>b"), throughGguf(t).encode("a<tool>b"));
    }
}
