package sortedllama.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sortedllama.BadInputException;
import sortedllama.SharedData;
import sortedllama.tokenizer.Tokenizers;
import sortedllama.train.data.BadRecordPolicy;
import sortedllama.train.data.BadRecords;
import sortedllama.train.data.TriviaQaFormat;

/** The real-data tasks' splits on ../shared/data (skipped without it, failing under CI=true). */
class RealDataTasksTest {

    @Test
    void splitsInFileOrderWithTheHeldOutRecordsLast(@TempDir Path out) throws Exception {
        SharedData.pandalm170();
        Path dataDir = SharedData.alpaca1k().getParent().getParent();
        var tokenizer = Tokenizers.load(Path.of(getClass().getResource("/tokenizer/wordnet_bpe_600.json").toURI()), -1);
        var tasks = RealDataTasks.write(dataDir, RealDataTasks.Mix.BOTH, tokenizer, out);
        assertEquals(RealDataTasks.TRIVIAQA_TEST, tasks.testQuestions().size());
        assertEquals(RealDataTasks.ALPACA_TEST, tasks.testInstructions().size());
        assertEquals(170, tasks.openInstructions().size());
        long alpacaWithOutput = 1000; // every record of the 1k subset has an output
        assertEquals(alpacaWithOutput - 150 + 2000 - 400, Files.readAllLines(tasks.trainFile()).size());
        assertEquals(50 + 200, Files.readAllLines(tasks.validationFile()).size());
        // the last TriviaQA question is the last held-out one, and no held-out question is trained on
        var last = TriviaQaFormat.records(SharedData.triviaqa2000(), new BadRecords(
                BadRecordPolicy.FAIL, m -> { })).getLast();
        assertEquals(last.answers(), tasks.testQuestions().getLast().answers());
        String train = Files.readString(tasks.trainFile());
        assertTrue(!train.contains(new ObjectMapper().writeValueAsString(TriviaQaFormat.prompt(last.question()))
                .replaceAll("^\"|\"$", "")), "a held-out question in the training file");

        var alpacaOnly = RealDataTasks.write(dataDir, RealDataTasks.Mix.ALPACA, tokenizer, Files.createDirectories(out.resolve("a")));
        assertEquals(850, Files.readAllLines(alpacaOnly.trainFile()).size());
        assertTrue(Files.readAllLines(alpacaOnly.trainFile()).stream().noneMatch(l -> l.contains("\"prompt\":\"Question: ")), "no question");
        assertEquals(200, alpacaOnly.testQuestions().size(), "QA is scored whatever was trained on");
        var triviaOnly = RealDataTasks.write(dataDir, RealDataTasks.Mix.TRIVIAQA, tokenizer, Files.createDirectories(out.resolve("t")));
        assertEquals(1600, Files.readAllLines(triviaOnly.trainFile()).size());
        assertTrue(Files.readAllLines(triviaOnly.trainFile()).stream().allMatch(l -> l.contains("\"prompt\":\"Question: ")), "questions only");
        assertEquals(RealDataTasks.ALPACA_TEST, triviaOnly.testInstructions().size(), "instructions are judged whatever was trained on");
        assertThrows(BadInputException.class, () -> RealDataTasks.Mix.parse("wikipedia"));
        assertThrows(BadInputException.class, () -> RealDataTasks.write(out, RealDataTasks.Mix.BOTH, tokenizer, out.resolve("b")));
    }
}
