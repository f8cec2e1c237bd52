package sortedllama.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static sortedllama.train.data.DataFixtures.concat;
import static sortedllama.train.data.DataFixtures.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextDocumentsTest {

    @Test
    void blankLinesSeparateDocumentsEachBosTextEosAllInTheLoss() {
        List<Example> docs = DataFixtures.read(DataFormat.TEXT, "documents.txt");
        var t = tokenizer();
        List<String> expected = List.of("The cat sat on the mat.\nIt was a warm day.", "A second document, one line.",
                "The third document\n  with an indented line.");
        assertEquals(expected.size(), docs.size());
        for (int i = 0; i < docs.size(); i++) {
            assertArrayEquals(concat(new int[] {t.bosId()}, t.encode(expected.get(i)), new int[] {t.eosId()}), docs.get(i).tokens());
            assertEquals(1, docs.get(i).responseStart(), "every token after BOS is trained on");
        }
    }

    @Test
    void aFileWithoutBlankLinesIsOneDocument(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("one.txt"), "line one\nline two\nline three\n");
        var docs = DataFormat.TEXT.read(file, new ExampleEncoder(tokenizer()), new BadRecords(BadRecordPolicy.FAIL, m -> { }));
        assertEquals(1, docs.size());
        assertEquals("<s>line one\nline two\nline three</s>", tokenizer().decode(docs.get(0).tokens()));
    }
}
