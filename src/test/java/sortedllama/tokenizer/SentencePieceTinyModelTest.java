package sortedllama.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Two tiny SentencePiece BPE models trained by tools/tokenizer/make_fixtures.py with what LLaMA's
 * model lacks: user-defined pieces (taken whole, never merged), unused pieces (merged through,
 * then split back), a control piece, and the opposite normaliser flags (extra whitespace removed,
 * no dummy prefix). Expected ids and decodings are sentencepiece's own.
 */
class SentencePieceTinyModelTest {
    static Stream<Arguments> encodeCases() {
        return perModel("cases", (file, c) -> Arguments.of(file, Named.of(TokenizerFixtures.visible(c.get("text").asText()),
                c.get("text").asText()), TokenizerFixtures.ids(c.get("ids")), c.get("decoded").asText()));
    }

    static Stream<Arguments> decodeCases() {
        return perModel("decode", (file, c) -> Arguments.of(file, TokenizerFixtures.ids(c.get("ids")), c.get("text").asText()));
    }

    private static Stream<Arguments> perModel(String list, BiFunction<String, JsonNode, Arguments> make) {
        Stream.Builder<Arguments> b = Stream.builder();
        for (JsonNode m : TokenizerFixtures.json("sp_tiny_expected.json").get("models")) {
            for (JsonNode c : m.get(list)) b.add(make.apply(m.get("file").asText(), c));
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} \"{1}\"")
    @MethodSource("encodeCases")
    void encodesAsSentencePiece(String file, String text, int[] ids, String decoded) {
        Tokenizer t = Tokenizers.load(TokenizerFixtures.resource(file), -1);
        assertArrayEquals(ids, t.encode(text));
        assertEquals(decoded, t.decode(ids));
    }

    @ParameterizedTest(name = "{0} decodes {1}")
    @MethodSource("decodeCases")
    void decodesAsSentencePiece(String file, int[] ids, String text) {
        assertEquals(text, Tokenizers.load(TokenizerFixtures.resource(file), -1).decode(ids));
    }

    @Test
    void controlAndUserDefinedPieces() {
        Tokenizer t = Tokenizers.load(TokenizerFixtures.resource("sp_tiny.model"), -1);
        int ctl = t.specialTokenId("<ctl>").getAsInt();
        assertEquals(3, ctl);
        assertTrue(t.specialTokenId("<tool>").isEmpty(), "user-defined pieces are text, not special tokens");
        assertEquals("", t.decode(new int[] {ctl}));
    }
}
