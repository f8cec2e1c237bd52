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
        var tasks = RealDataTasks.write(dataDir, RealDataTasks.Mix.BOTH, tokenizer, 100_000, out);
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

        var alpacaOnly = RealDataTasks.write(dataDir, RealDataTasks.Mix.ALPACA, tokenizer, 100_000, Files.createDirectories(out.resolve("a")));
        assertEquals(850, Files.readAllLines(alpacaOnly.trainFile()).size());
        assertTrue(Files.readAllLines(alpacaOnly.trainFile()).stream().noneMatch(l -> l.contains("\"prompt\":\"Question: ")), "no question");
        assertEquals(200, alpacaOnly.testQuestions().size(), "QA is scored whatever was trained on");
        // a short context leaves out the held-out prompts that leave no room for their answers, and only those
        var shortContext = RealDataTasks.write(dataDir, RealDataTasks.Mix.BOTH, tokenizer, 120, Files.createDirectories(out.resolve("c")));
        assertTrue(shortContext.testInstructions().size() < RealDataTasks.ALPACA_TEST, "some Alpaca prompts are long");
        for (var i : shortContext.testInstructions()) assertTrue(i.prompt().length + ExitEvaluation.INSTRUCTION_MAX_TOKENS <= 120);
        assertThrows(BadInputException.class, () -> RealDataTasks.Mix.parse("wikipedia"));
        assertThrows(BadInputException.class, () -> RealDataTasks.write(out, RealDataTasks.Mix.BOTH, tokenizer, 256, out.resolve("b")));
    }
}
