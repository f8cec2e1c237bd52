package sortedllama.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import sortedllama.BadInputException;
import sortedllama.io.AtomicFiles;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.train.data.AlpacaFormat;
import sortedllama.train.data.BadRecordPolicy;
import sortedllama.train.data.BadRecords;
import sortedllama.train.data.Example;
import sortedllama.train.data.ExampleEncoder;
import sortedllama.train.data.TriviaQaFormat;
import sortedllama.train.data.TriviaQaRecord;

/**
 * The demo's tasks from the real subsets of a data folder laid out as ../shared/data: Stanford
 * Alpaca (1,000 records), TriviaQA (2,000 dev questions) and PandaLM's 170 evaluation
 * instructions. Fixed splits in file order: Alpaca's last {@link #ALPACA_TEST} records are the
 * judged hold-out (they have reference answers) and the {@link #ALPACA_VALIDATION} before them the
 * validation split; TriviaQA's last {@link #TRIVIAQA_TEST} questions are the QA hold-out and the
 * {@link #TRIVIAQA_VALIDATION} before them validation; the rest is fine-tuned on. PandaLM's
 * instructions are answered at every exit (all 170; they have no references, so a judge model
 * scores them: {@code eval judge}).
 */
final class RealDataTasks {
    static final String ALPACA = "alpaca/alpaca_data_1k.json", TRIVIAQA = "triviaqa/triviaqa-dev-subset.json",
            PANDALM = "pandalm/testset-inference-v1.json";
    static final int ALPACA_TEST = 100, ALPACA_VALIDATION = 50, TRIVIAQA_TEST = 200, TRIVIAQA_VALIDATION = 200;

    /** Which tasks are fine-tuned on: both (the paper's main runs) or one alone (its separate runs). */
    enum Mix {
        BOTH, ALPACA, TRIVIAQA;

        static Mix parse(String s) {
            try {
                return valueOf(s.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new BadInputException("--tasks: unknown \"" + s + "\" (both, alpaca or triviaqa)");
            }
        }
    }

    private RealDataTasks() {}

    static DemoTasks write(Path dataDir, Mix mix, Tokenizer tokenizer, Path out) throws IOException {
        var bad = new BadRecords(BadRecordPolicy.FAIL, line -> { });
        List<AlpacaFormat.Instruction> alpaca = new ArrayList<>();
        for (var i : AlpacaFormat.instructions(require(dataDir, ALPACA), bad)) if (!i.output().isBlank()) alpaca.add(i);
        List<TriviaQaRecord> trivia = TriviaQaFormat.records(require(dataDir, TRIVIAQA), bad);
        List<AlpacaFormat.Instruction> pandalm = AlpacaFormat.instructions(require(dataDir, PANDALM), bad);
        var alpacaSplit = Split.of(alpaca, ALPACA_VALIDATION, ALPACA_TEST, "Alpaca");
        var triviaSplit = Split.of(trivia, TRIVIAQA_VALIDATION, TRIVIAQA_TEST, "TriviaQA");

        Path train = out.resolve("finetune-train.jsonl"), validation = out.resolve("finetune-validation.jsonl");
        writeMixed(mix != Mix.TRIVIAQA ? alpacaSplit.train() : List.of(), mix != Mix.ALPACA ? triviaSplit.train() : List.of(), train);
        writeMixed(mix != Mix.TRIVIAQA ? alpacaSplit.validation() : List.of(), mix != Mix.ALPACA ? triviaSplit.validation() : List.of(),
                validation);

        ExampleEncoder encoder = new ExampleEncoder(tokenizer);
        List<Example> questions = new ArrayList<>();
        for (var q : triviaSplit.test()) questions.add(encoder.pair(TriviaQaFormat.prompt(q.question()), TriviaQaFormat.response(q.value()), q.answers()));
        List<DemoTasks.Instruction> instructions = new ArrayList<>();
        for (var i : alpacaSplit.test()) instructions.add(new DemoTasks.Instruction(i.instruction(), i.input(), encoder.prompt(i.prompt()), i.output()));
        return new DemoTasks(train, validation, questions, instructions, pandalm);
    }

    /** A file's train, validation and test records, in file order (test last). */
    private record Split<T>(List<T> train, List<T> validation, List<T> test) {
        static <T> Split<T> of(List<T> all, int validation, int test, String name) {
            int train = all.size() - validation - test;
            if (train < 1) throw new BadInputException(name + ": " + all.size() + " usable records, need more than " + (validation + test));
            return new Split<>(all.subList(0, train), all.subList(train, train + validation), all.subList(train + validation, all.size()));
        }
    }

    /** Instructions then questions as {"prompt", "completion"} lines, in the templates the alpaca and triviaqa readers use. */
    private static void writeMixed(List<AlpacaFormat.Instruction> instructions, List<TriviaQaRecord> questions, Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        StringBuilder sb = new StringBuilder();
        for (var i : instructions) DemoTasks.line(json, sb, i.prompt(), i.output());
        for (var q : questions) DemoTasks.line(json, sb, TriviaQaFormat.prompt(q.question()), TriviaQaFormat.response(q.value()));
        AtomicFiles.writeString(file, sb.toString());
    }

    private static Path require(Path dataDir, String relative) {
        Path p = dataDir.resolve(relative);
        if (!Files.isRegularFile(p)) throw new BadInputException("--data-dir " + dataDir + ": " + relative + " is missing (the layout of ../shared/data)");
        return p;
    }
}
