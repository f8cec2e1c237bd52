package sortedllama.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import sortedllama.BadInputException;

/**
 * Hugging Face byte-level BPE (Llama 3's layout: regex split, byte map, ranked merges, added
 * tokens matched literally) on a small vocabulary trained by {@link BpeTrainer}, against ids from
 * transformers.js (tools/tokenizer/byte_level_reference.mjs), an independent implementation.
 */
class ByteLevelBpeTest {
    static Path tokenizerJson() throws URISyntaxException {
        return Path.of(ByteLevelBpeTest.class.getResource("/tokenizer/wordnet_bpe_600.json").toURI());
    }

    static Stream<Arguments> cases() throws IOException {
        JsonNode root;
        try (var in = ByteLevelBpeTest.class.getResourceAsStream("/tokenizer/wordnet_bpe_600_expected.json")) {
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

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @MethodSource("cases")
    void matchesTransformersJs(String text, int[] ids, String decoded) throws Exception {
        Tokenizer t = Tokenizers.load(tokenizerJson(), 600);
        assertArrayEquals(ids, t.encode(text));
        assertEquals(decoded, t.decode(ids));
    }

    @Test
    void specialTokensAndSizes() throws Exception {
        Tokenizer t = Tokenizers.load(tokenizerJson(), -1);
        assertEquals(600, t.vocabSize());
        assertEquals(1, t.bosId());
        assertEquals(2, t.eosId());
        assertEquals(2, t.specialTokenId("</s>").getAsInt());
        assertThrows(BadInputException.class, () -> Tokenizers.load(tokenizerJson(), 32000));
    }

    @Test
    void malformedJsonIsReportedByName(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("tokenizer.json");
        Files.writeString(bad, "{\"model\": {\"type\": \"BPE\", ");
        var e = assertThrows(BadInputException.class, () -> Tokenizers.load(bad, -1));
        assertTrue(e.getMessage().startsWith(bad + ": malformed JSON"), e.getMessage());
    }
}
