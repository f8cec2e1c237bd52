package sortedllama.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import sortedllama.io.AtomicFiles;
import sortedllama.model.LlamaConfig;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.train.data.AlpacaFormat;
import sortedllama.train.data.Example;
import sortedllama.train.data.ExampleEncoder;
import sortedllama.train.data.TriviaQaFormat;

/**
 * The demo's fine-tuning tasks, built from the corpus's fixed splits: instruction following in
 * Stanford Alpaca format (define a word, use it in a sentence, give a synonym, name a more general
 * term) and closed-book questions in TriviaQA format ("What is a X a kind of?", any lemma of the
 * hypernym counts). Train and validation splits are mixed into one prompt/completion JSONL each
 * (rendered with the same templates the alpaca and triviaqa readers use, loss on the response);
 * the test split is kept apart for evaluation, in the tasks' own formats. {@link RealDataTasks} builds
 * the same from the real subsets instead.
 *
 * @param openInstructions instructions without reference answers (PandaLM's 170), answered at every
 *                         exit and written out for a judge model; none for the WordNet tasks
 */
record DemoTasks(Path trainFile, Path validationFile, List<Example> testQuestions, List<Instruction> testInstructions,
                 List<AlpacaFormat.Instruction> openInstructions) {

    /** A held-out instruction: its prompt ids (Alpaca template) and the reference answer. */
    record Instruction(String instruction, String input, int[] prompt, String reference) {}

    /**
     * The test split the demo scores on a model of this shape: held-out questions and instructions
     * whose prompt leaves room in the context for the longest answer the demo scores ({@link
     * ExitEvaluation#QA_MAX_TOKENS}, {@link ExitEvaluation#INSTRUCTION_MAX_TOKENS}). Every scoring
     * step (per-exit scores, the decoding modes, Table 2's quality columns, the QA curve) reads this
     * one test split, so none meets a prompt it cannot answer (a 319-token Alpaca prompt in a
     * 256-token context stopped a run) and all score the same records; the report counts them.
     */
    DemoTasks scoredOn(LlamaConfig config) {
        List<Example> questions = new ArrayList<>();
        for (var q : testQuestions) if (config.generationRoom(q.prompt().length) >= ExitEvaluation.QA_MAX_TOKENS) questions.add(q);
        List<Instruction> instructions = new ArrayList<>();
        for (var i : testInstructions) if (config.generationRoom(i.prompt().length) >= ExitEvaluation.INSTRUCTION_MAX_TOKENS) instructions.add(i);
        return new DemoTasks(trainFile, validationFile, questions, instructions, openInstructions);
    }

    static DemoTasks write(DemoCorpus corpus, Tokenizer tokenizer, Path dir) throws IOException {
        Path train = dir.resolve("finetune-train.jsonl"), validation = dir.resolve("finetune-validation.jsonl");
        writeMixed(corpus.split(WordNetEntries.Split.TRAIN), train);
        writeMixed(corpus.split(WordNetEntries.Split.VALIDATION), validation);
        var test = corpus.split(WordNetEntries.Split.TEST);
        var instructions = WordNetTasks.instructions(test);
        WordNetTasks.writeJson(instructions, dir.resolve("instructions-test.json"));
        WordNetTasks.writeJson(WordNetTasks.questions(test), dir.resolve("questions-test.json"));

        ExampleEncoder encoder = new ExampleEncoder(tokenizer);
        List<Example> testQuestions = new ArrayList<>();
        for (var q : WordNetTasks.questionRecords(test)) {
            testQuestions.add(encoder.pair(TriviaQaFormat.prompt(q.question()), TriviaQaFormat.response(q.value()), q.aliases()));
        }
        List<Instruction> testInstructions = new ArrayList<>();
        for (var r : instructions) {
            String prompt = AlpacaFormat.prompt(r.get("instruction"), r.get("input"));
            testInstructions.add(new Instruction(r.get("instruction"), r.get("input"), encoder.prompt(prompt), r.get("output")));
        }
        return new DemoTasks(train, validation, testQuestions, testInstructions, List.of());
    }

    /** Both tasks of some entries as {"prompt", "completion"} lines, instructions then questions per entry. */
    private static void writeMixed(List<WordNetEntries.Entry> entries, Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        StringBuilder sb = new StringBuilder();
        for (var e : entries) {
            for (var r : WordNetTasks.instructions(List.of(e))) {
                line(json, sb, AlpacaFormat.prompt(r.get("instruction"), r.get("input")), r.get("output"));
            }
            for (var q : WordNetTasks.questionRecords(List.of(e))) {
                line(json, sb, TriviaQaFormat.prompt(q.question()), TriviaQaFormat.response(q.value()));
            }
        }
        AtomicFiles.writeString(file, sb.toString());
    }

    /** One {"prompt", "completion"} line of a fine-tuning file. */
    static void line(ObjectMapper json, StringBuilder sb, String prompt, String completion) throws IOException {
        sb.append(json.writeValueAsString(Map.of("prompt", prompt, "completion", completion))).append('\n');
    }
}
