package sortedllama.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import sortedllama.SharedData;

/** Text as it streams out token by token: whole characters only, and llama2.c's rule after BOS. */
class StreamingDecoderTest {
    /** Feeds the ids one at a time; checks that nothing but whole characters came out before the end. */
    private static String stream(Tokenizer t, int previous, int[] ids, List<String> chunks) {
        boolean textHasReplacements = t.decode(ids).contains("\uFFFD");
        var decoder = new StreamingDecoder(t, previous);
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            String piece = decoder.feed(id);
            assertTrue(textHasReplacements || piece.chars().noneMatch(c -> c == 0xFFFD), "a replacement character mid-stream: " + piece);
            chunks.add(piece);
            sb.append(piece);
        }
        return sb.append(decoder.flush()).toString();
    }

    @Test
    void sentencePieceStreamsWholeCharactersAndDropsTheSpaceAfterBos() {
        Tokenizer t = Tokenizers.load(SharedData.llama2TokenizerModel(), 32000);
        for (JsonNode c : TokenizerFixtures.json("llama2_expected.json").get("cases")) {
            String text = c.get("text").asText();
            int[] ids = TokenizerFixtures.ids(c.get("ids"));
            // after BOS the dummy prefix goes, as in sentencepiece's decode of the whole
            assertEquals(c.get("decoded").asText(), stream(t, 1, ids, new ArrayList<>()), text);
            // mid-sentence (after another token) the piece keeps its space
            if (!text.isEmpty()) assertEquals(" " + c.get("decoded").asText(), stream(t, 263, ids, new ArrayList<>()), text);
        }
        List<String> chunks = new ArrayList<>();
        stream(t, 1, t.encode("Hi \uD83D\uDE00"), chunks); // "▁Hi", "▁", then four byte pieces
        assertEquals(List.of("Hi", " ", "", "", "", "\uD83D\uDE00"), chunks);
    }

    @Test
    void aBytePieceAfterBosKeepsItsSpace() {
        Tokenizer t = Tokenizers.load(SharedData.llama2TokenizerModel(), 32000);
        int space = 3 + 0x20; // <0x20>: a real space, which llama2.c does not strip either
        assertEquals("  a", stream(t, 1, new int[] {space, t.encode("a")[0]}, new ArrayList<>()));
    }

    @Test
    void byteLevelTokensStreamWholeCharacters() {
        Tokenizer t = ByteLevelBpeTest.llama3();
        for (JsonNode c : TokenizerFixtures.json("llama3_expected.json").get("cases")) {
            int[] ids = TokenizerFixtures.ids(c.get("ids"));
            assertEquals(c.get("decoded").asText(), stream(t, t.bosId(), ids, new ArrayList<>()), c.get("text").asText());
        }
    }

    @Test
    void anUnfinishedCharacterIsReplacedAtTheEnd() {
        Tokenizer t = Tokenizers.load(SharedData.llama2TokenizerModel(), 32000);
        var decoder = new StreamingDecoder(t, 1);
        assertEquals("", decoder.feed(3 + 0xF0));
        assertEquals("", decoder.feed(3 + 0x9F));
        assertEquals("\uFFFD", decoder.flush());
    }
}
