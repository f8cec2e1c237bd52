package sortedllama.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import sortedllama.BadInputException;
import sortedllama.SharedData;

/**
 * The real LLaMA 2 vocabulary, from both of its files (../shared), against the sentencepiece
 * library's own ids and decodings (llama2_expected.json, from tools/tokenizer/make_fixtures.py):
 * tricky strings (spaces, newlines, NFC/NFD accents, emoji by byte fallback, text that looks like
 * control tokens), seeded random strings, and id sequences to decode.
 */
class Llama2TokenizerTest {
    private static Tokenizer model, bin;

    static Tokenizer tokenizer(String file) {
        if (file.equals("tokenizer.model")) {
            if (model == null) model = Tokenizers.load(SharedData.llama2TokenizerModel(), 32000);
            return model;
        }
        if (bin == null) bin = Tokenizers.load(SharedData.llama2TokenizerBin(), 32000);
        return bin;
    }

    static Stream<Arguments> encodeCases() {
        var root = TokenizerFixtures.json("llama2_expected.json");
        return Stream.concat(TokenizerFixtures.encodeCases(root.get("cases")), TokenizerFixtures.encodeCases(root.get("random")));
    }

    static Stream<Arguments> decodeCases() {
        return TokenizerFixtures.decodeCases(TokenizerFixtures.json("llama2_expected.json").get("decode"));
    }

    @ParameterizedTest(name = "tokenizer.model \"{0}\"")
    @MethodSource("encodeCases")
    void modelEncodesAsSentencePiece(String text, int[] ids, String decoded) {
        assertArrayEquals(ids, tokenizer("tokenizer.model").encode(text));
        assertEquals(decoded, tokenizer("tokenizer.model").decode(ids));
    }

    @ParameterizedTest(name = "tokenizer.bin \"{0}\"")
    @MethodSource("encodeCases")
    void llama2cBinEncodesAsSentencePiece(String text, int[] ids, String decoded) {
        assertArrayEquals(ids, tokenizer("tokenizer.bin").encode(text));
        assertEquals(decoded, tokenizer("tokenizer.bin").decode(ids));
    }

    @ParameterizedTest(name = "tokenizer.model decodes {0}")
    @MethodSource("decodeCases")
    void modelDecodesAsSentencePiece(int[] ids, String text) {
        assertEquals(text, tokenizer("tokenizer.model").decode(ids));
    }

    @ParameterizedTest(name = "tokenizer.bin decodes {0}")
    @MethodSource("decodeCases")
    void llama2cBinDecodesAsSentencePiece(int[] ids, String text) {
        assertEquals(text, tokenizer("tokenizer.bin").decode(ids));
    }

    @ParameterizedTest
    @ValueSource(strings = {"tokenizer.model", "tokenizer.bin"})
    void specialTokensAndPieces(String file) {
        Tokenizer t = tokenizer(file);
        assertEquals(32000, t.vocabSize());
        assertEquals(1, t.bosId());
        assertEquals(2, t.eosId());
        assertEquals(1, t.specialTokenId("<s>").getAsInt());
        assertEquals(2, t.specialTokenId("</s>").getAsInt());
        assertEquals(0, t.specialTokenId("<unk>").getAsInt());
        assertTrue(t.specialTokenId("<|eot_id|>").isEmpty());
        assertTrue(t.specialTokenId("<0x41>").isEmpty(), "byte pieces are not special tokens");
        assertEquals("<s>", t.tokenText(1)); // llama2.c's file stores "\n<s>\n"
        assertEquals("\u2581the", t.tokenText(278));
        assertArrayEquals(" the".getBytes(StandardCharsets.UTF_8), t.decodeBytes(278));
        assertArrayEquals(new byte[] {(byte) 0xE4}, t.decodeBytes(3 + 0xE4));
        assertArrayEquals(new byte[0], t.decodeBytes(1));
        assertArrayEquals(" \u2047 ".getBytes(StandardCharsets.UTF_8), t.decodeBytes(0));
        assertArrayEquals(new int[] {1, 15043}, t.encodeAfterBos("Hello", -1));
        var e = assertThrows(BadInputException.class, () -> t.decodeBytes(32000));
        assertTrue(e.getMessage().contains("token id 32000 is outside the vocabulary"), e.getMessage());
    }

    @Test
    void bothFilesHoldTheSameVocabulary() {
        Tokenizer a = tokenizer("tokenizer.model"), b = tokenizer("tokenizer.bin");
        for (int id = 0; id < a.vocabSize(); id++) {
            if (!Arrays.equals(a.decodeBytes(id), b.decodeBytes(id)) || !a.tokenText(id).equals(b.tokenText(id))) {
                throw new AssertionError("token " + id + " differs: " + a.tokenText(id) + " / " + b.tokenText(id));
            }
        }
    }

    @Test
    void aLongTextRoundTrips() { // its speed: bench tokenize
        Tokenizer t = tokenizer("tokenizer.model");
        String text = "The quick brown fox jumps over the lazy dog. Caf\u00e9 \u4e16\u754c \uD83D\uDE00\n".repeat(2000);
        int[] ids = t.encode(text);
        assertEquals(text, t.decode(ids));
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 32001})
    void refusesAModelOfAnotherVocabularySize(int modelVocab) {
        for (Path p : new Path[] {SharedData.llama2TokenizerModel(), SharedData.llama2TokenizerBin()}) {
            var e = assertThrows(BadInputException.class, () -> Tokenizers.load(p, modelVocab));
            assertEquals("tokenizer " + p + " has 32000 tokens but the model has " + modelVocab + ": they do not belong together",
                    e.getMessage());
        }
    }

    /** Every cut of the files, and a few corruptions, gives a BadInputException naming the file (or a tokenizer). */
    @ParameterizedTest
    @ValueSource(strings = {"tokenizer.model", "tokenizer.bin"})
    void truncatedOrCorruptFilesAreReportedByName(String name, @TempDir Path dir) throws IOException {
        Path source = name.endsWith(".model") ? SharedData.llama2TokenizerModel() : SharedData.llama2TokenizerBin();
        byte[] good = Files.readAllBytes(source);
        Path bad = dir.resolve(name);
        int[] cuts = {0, 1, 3, 4, 7, 100, 1000, good.length / 3, good.length / 2, good.length - 1};
        for (int cut : cuts) {
            Files.write(bad, Arrays.copyOf(good, cut));
            assertRefusedByName(bad, "cut at " + cut);
        }
        Random random = new Random(42);
        for (int k = 0; k < 40; k++) {
            byte[] corrupt = good.clone();
            for (int j = 0; j < 8; j++) corrupt[random.nextInt(Math.min(corrupt.length, 4096))] = (byte) random.nextInt(256);
            Files.write(bad, corrupt);
            try {
                Tokenizers.load(bad, -1).encode("Hello, world! \uD83D\uDE00");
            } catch (BadInputException e) {
                assertTrue(e.getMessage().startsWith(bad.toString()), e.getMessage());
            }
        }
    }

    private static void assertRefusedByName(Path bad, String what) {
        var e = assertThrows(BadInputException.class, () -> Tokenizers.load(bad, 32000), what);
        assertTrue(e.getMessage().startsWith(bad.toString()) || e.getMessage().startsWith("tokenizer " + bad), what + ": " + e.getMessage());
    }
}
