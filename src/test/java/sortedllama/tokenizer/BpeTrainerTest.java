package sortedllama.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's vocabulary trainer writes a tokenizer.json that the loader reads and that compresses its corpus. */
class BpeTrainerTest {
    @Test
    void trainedVocabularyLoadsAndRoundTrips(@TempDir Path dir) throws IOException {
        String corpus = "the cat sat on the mat. the dog sat on the log. 123456 caf\u00e9s \uD83D\uDE00\n".repeat(50);
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, BpeTrainer.train(corpus, 300));
        Tokenizer t = Tokenizers.load(file, -1);
        assertTrue(t.vocabSize() > 259 && t.vocabSize() <= 300, "vocabulary of " + t.vocabSize()); // stops when nothing repeats
        assertEquals(1, t.bosId());
        assertEquals(2, t.eosId());
        int[] ids = t.encode(corpus);
        assertEquals(corpus, t.decode(ids));
        int bytes = corpus.getBytes(StandardCharsets.UTF_8).length;
        assertTrue(ids.length < bytes / 3, ids.length + " tokens for " + bytes + " bytes: merges were not learnt");
        assertEquals("the", t.decode(t.encode("the")));
    }
}
