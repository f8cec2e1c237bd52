package sortedllama.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The full Llama 3 tokenizer.json (128,256 tokens; 9 MB, not in the repository) on the strings of
 * llama3_expected.json, whose ids Hugging Face's library gave with that very file. Runs only when
 * the file is named by -Dsortedllama.llama3.tokenizer=PATH or $LLAMA3_TOKENIZER_JSON;
 * tools/tokenizer/make_byte_level_fixtures.mjs writes one (see its header).
 */
class Llama3FullVocabularyTest {
    @Test
    void fullVocabularyEncodesAsHuggingFace() {
        String where = System.getProperty("sortedllama.llama3.tokenizer", System.getenv("LLAMA3_TOKENIZER_JSON"));
        assumeTrue(where != null && Files.isRegularFile(Path.of(where)),
                "skipped: no full Llama 3 tokenizer.json given (-Dsortedllama.llama3.tokenizer=PATH or LLAMA3_TOKENIZER_JSON)");
        Tokenizer full = Tokenizers.load(Path.of(where), 128256);
        for (JsonNode c : TokenizerFixtures.json("llama3_expected.json").get("cases")) {
            String text = c.get("text").asText();
            assertArrayEquals(TokenizerFixtures.ids(c.get("ids")), full.encode(text, true), TokenizerFixtures.visible(text));
            assertEquals(c.get("decoded").asText(), full.decode(TokenizerFixtures.ids(c.get("ids"))), TokenizerFixtures.visible(text));
        }
        assertEquals(128009, full.specialTokenId("<|eot_id|>").getAsInt());
    }
}
