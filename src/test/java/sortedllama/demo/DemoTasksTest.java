package sortedllama.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sortedllama.BadInputException;
import sortedllama.TestModels;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaModel;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.tokenizer.Tokenizers;
import sortedllama.train.data.DataFormat;
import sortedllama.train.data.DataOptions;
import sortedllama.train.data.Example;
import sortedllama.train.data.TrainingData;

/**
 * The demo's mixed prompt/completion files hold exactly what the alpaca and triviaqa readers
 * make of the same records: the same templates, the same tokens, the loss on the same positions.
 */
class DemoTasksTest {
    static final Path TOKENIZER = Path.of("src/test/resources/tokenizer/wordnet_bpe_600.json");

    private static List<Example> read(Path file, DataFormat format, Tokenizer t) {
        var options = DataOptions.defaults(format, 512, 4).withValidationFraction(0);
        return TrainingData.load(file, null, t, options, line -> {}).train();
    }

    @Test
    void mixedFileEncodesAsTheTasksOwnFormats(@TempDir Path dir) throws Exception {
        Tokenizer t = Tokenizers.load(TOKENIZER, 600);
        var entries = WordNetTasksTest.nouns().subList(0, 40);
        var corpus = new DemoCorpus(entries);
        DemoTasks tasks = DemoTasks.write(corpus, t, dir);
        var train = corpus.split(WordNetEntries.Split.TRAIN);
        WordNetTasks.writeJson(WordNetTasks.instructions(train), dir.resolve("alpaca.json"));
        WordNetTasks.writeJson(WordNetTasks.questions(train), dir.resolve("trivia.json"));
        List<Example> mixed = read(tasks.trainFile(), DataFormat.JSONL, t);
        List<Example> expected = new ArrayList<>(read(dir.resolve("alpaca.json"), DataFormat.ALPACA, t));
        expected.addAll(read(dir.resolve("trivia.json"), DataFormat.TRIVIAQA, t));
        assertEquals(expected.size(), mixed.size());
        var key = (Function<Example, String>) e -> Arrays.toString(e.tokens()) + "@" + e.responseStart();
        assertEquals(expected.stream().map(key).sorted().toList(), mixed.stream().map(key).sorted().toList());

        // the test split: its questions with their aliases, its instructions as Alpaca prompts
        var test = corpus.split(WordNetEntries.Split.TEST);
        assertEquals(WordNetTasks.questions(test).size(), tasks.testQuestions().size());
        assertEquals(WordNetTasks.instructions(test).size(), tasks.testInstructions().size());
        @SuppressWarnings("unchecked")
        var answer = (Map<String, Object>) WordNetTasks.questions(test).get(0).get("Answer");
        assertEquals(answer.get("Aliases"), tasks.testQuestions().get(0).answers());
        var first = tasks.testInstructions().get(0);
        assertTrue(t.decode(first.prompt()).endsWith("### Response:"), t.decode(first.prompt()));
        assertTrue(Files.isRegularFile(dir.resolve("questions-test.json")) && Files.isRegularFile(dir.resolve("instructions-test.json")));
        String pretraining = String.join("\n", corpus.pretrainingDocuments());
        for (var e : test) assertTrue(pretraining.contains(e.word() + " ("), "the base reads the test split's facts: " + e.word());
        for (var q : WordNetTasks.questions(test)) {
            assertTrue(!pretraining.contains((String) q.get("Question")), "never a test question: " + q.get("Question"));
        }
        for (var q : WordNetTasks.questions(train)) {
            assertTrue(pretraining.contains((String) q.get("Question")), "the training split's questions: " + q.get("Question"));
        }
    }

    /**
     * The test split every scoring step reads leaves out the held-out prompts with no room for their
     * answer in the context, and only those; scored as the demo scores it (per exit, and every
     * decoding mode greedy and sampled), nothing is refused. The split as written is refused: a
     * prompt that fills the context cannot be answered (a 319-token Alpaca prompt stopped a run).
     */
    @Test
    void scoredTestSplitLeavesOutPromptsWithoutRoomForTheirAnswers() throws Exception {
        Tokenizer t = Tokenizers.load(TOKENIZER, 600);
        int context = 70;
        var model = new LlamaModel(TestModels.zeroWeights(600, 8, context));
        var written = new DemoTasks(null, null, List.of(question(10), question(54), question(55), question(70)),
                List.of(instruction(20), instruction(22), instruction(23), instruction(80)), List.of());
        DemoTasks scored = written.scoredOn(model.config());
        // room for 16 tokens of a QA answer and 48 of an instruction answer in the 70-token context
        assertEquals(List.of(10, 54), scored.testQuestions().stream().map(q -> q.prompt().length).toList());
        assertEquals(List.of(20, 22), scored.testInstructions().stream().map(i -> i.prompt().length).toList());

        var exit = ExitEvaluation.of(model, t, scored, 8, 0, 10, 10);
        assertEquals(2, exit.qa().questions());
        assertEquals(2, exit.answers().size());
        var rows = DecodingQuality.measure(model, t, scored, ExitSet.all(8), 10, 10, 42);
        assertEquals(2 * DemoPipeline.MODES.size(), rows.size());
        assertThrows(BadInputException.class, () -> ExitEvaluation.of(model, t, written, 8, 0, 10, 10));
    }

    /** A held-out question whose prompt has {@code length} tokens (BOS, then token 5). */
    private static Example question(int length) {
        int[] tokens = new int[length + 2];
        Arrays.fill(tokens, 5);
        tokens[0] = 1;
        return new Example(tokens, length, List.of("answer"));
    }

    private static DemoTasks.Instruction instruction(int length) {
        int[] prompt = new int[length];
        Arrays.fill(prompt, 5);
        prompt[0] = 1;
        return new DemoTasks.Instruction("instruction", "", prompt, "reference");
    }
}
