package sortedllama.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import sortedllama.BadInputException;
import sortedllama.SharedData;

/**
 * The real LLaMA 2 vocabulary, from both of its files, against the sentencepiece library's own
 * ids and decoding (src/test/resources/tokenizer/llama2_expected.json, made by
 * tools/tokenizer/make_llama2_fixtures.py): Unicode, emoji (byte fallback), runs of spaces,
 * newlines, and text that looks like control tokens.
 */
class Llama2TokenizerTest {

    static Stream<Arguments> cases() throws IOException {
        JsonNode root;
        try (var in = Llama2TokenizerTest.class.getResourceAsStream("/tokenizer/llama2_expected.json")) {
            root = new ObjectMapper().readTree(in);
        }
        Stream.Builder<Arguments> b = Stream.builder();
        for (JsonNode c : root.get("cases")) {
            int[] ids = new int[c.get("ids").size()];
            for (int i = 0; i < ids.length; i++) ids[i] = c.get("ids").get(i).asInt();
            b.add(Arguments.of(c.get("text").asText(), ids, c.get("decoded").asText()));
        }
        return b.build();
    }

    @ParameterizedTest(name = "tokenizer.model [{index}] \"{0}\"")
    @MethodSource("cases")
    void sentencePieceModelMatchesSentencePiece(String text, int[] ids, String decoded) {
        Tokenizer t = Tokenizers.load(SharedData.llama2TokenizerModel(), 32000);
        assertArrayEquals(ids, t.encode(text));
        assertEquals(decoded, t.decode(ids));
    }

    @ParameterizedTest(name = "tokenizer.bin [{index}] \"{0}\"")
    @MethodSource("cases")
    void llama2cTokenizerBinMatchesSentencePiece(String text, int[] ids, String decoded) {
        Tokenizer t = Tokenizers.load(SharedData.llama2TokenizerBin(), 32000);
        assertArrayEquals(ids, t.encode(text));
        assertEquals(decoded, t.decode(ids));
    }

    @Test
    void specialIdsAndStreamingDecoding() {
        Tokenizer t = Tokenizers.load(SharedData.llama2TokenizerModel(), 32000);
        assertEquals(1, t.bosId());
        assertEquals(2, t.eosId());
        assertEquals(1, t.specialTokenId("<s>").getAsInt());
        // an emoji arrives as four byte tokens: nothing is printed until the character is complete
        int[] ids = t.encode("Hi \uD83D\uDE00!");
        var stream = new StreamingDecoder(t, 1);
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            String piece = stream.feed(id);
            assertTrue(piece.chars().noneMatch(c -> c == 0xFFFD), "no replacement characters mid-stream");
            sb.append(piece);
        }
        sb.append(stream.flush());
        assertEquals("Hi \uD83D\uDE00!", sb.toString()); // the leading space after BOS is dropped
    }

    @Test
    void refusesAVocabularyOfTheWrongSize() {
        var e = assertThrows(BadInputException.class, () -> Tokenizers.load(SharedData.llama2TokenizerModel(), 512));
        assertTrue(e.getMessage().contains("has 32000 tokens but the model has 512"), e.getMessage());
        var bin = assertThrows(BadInputException.class, () -> Tokenizers.load(SharedData.llama2TokenizerBin(), 512));
        assertTrue(bin.getMessage().contains("does not match"), bin.getMessage());
    }

    @Test
    void truncatedFilesAreReportedByName(@TempDir Path dir) throws IOException {
        byte[] model = Files.readAllBytes(SharedData.llama2TokenizerModel());
        Path cut = dir.resolve("tokenizer.model");
        Files.write(cut, java.util.Arrays.copyOf(model, model.length / 2));
        var e = assertThrows(BadInputException.class, () -> Tokenizers.load(cut, 32000));
        assertTrue(e.getMessage().startsWith(cut.toString()), e.getMessage());
        byte[] bin = Files.readAllBytes(SharedData.llama2TokenizerBin());
        Path cutBin = dir.resolve("tokenizer.bin");
        Files.write(cutBin, java.util.Arrays.copyOf(bin, bin.length / 2));
        var e2 = assertThrows(BadInputException.class, () -> Tokenizers.load(cutBin, 32000));
        assertTrue(e2.getMessage().contains("truncated"), e2.getMessage());
    }
}
