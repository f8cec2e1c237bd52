package sortedllama.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sortedllama.BadInputException;
import sortedllama.eval.AnswerFile;
import sortedllama.eval.AnswerGenerator;
import sortedllama.io.AtomicFiles;
import sortedllama.io.ModelFile;
import sortedllama.model.ExitSet;
import sortedllama.train.data.AlpacaFormat;
import sortedllama.train.data.BadRecordPolicy;
import sortedllama.train.data.BadRecords;

@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Answer Alpaca-format instructions greedily at every exit, with the Alpaca prompt template fine-tuning uses,",
                "writing one JSON line per (instruction, exit): {\"id\", \"instruction\", \"input\", \"exit\", \"output\"} (for eval judge)."})
final class EvalGenerateCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOptions modelOptions;

    @Option(names = "--data", required = true, paramLabel = "PATH",
            description = "Instructions: a JSON array or JSON Lines of {\"instruction\", \"input\"} (\"output\" and \"id\" optional; "
                    + "without \"id\" a record's id is its number in the file; a blank instruction is answered when the input is not, "
                    + "as PandaLM's 170 prompts need).")
    Path data;

    @Option(names = "--exits", paramLabel = "LIST", description = "Exits to answer at (default: the model's exit set).")
    String exits;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "256", description = "Longest answer (default ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--limit", paramLabel = "N", description = "Answer only the first N instructions.")
    Integer limit;

    @Option(names = "--out", required = true, paramLabel = "PATH", description = "The answers, JSON Lines (written when complete).")
    Path out;

    @Override
    public Integer call() {
        if (!Files.isRegularFile(data)) throw new BadInputException("--data " + data + " does not exist");
        if (maxTokens < 1) throw new BadInputException("--max-tokens must be at least 1");
        var err = spec.commandLine().getErr();
        try (ModelFile file = modelOptions.open()) {
            var tokenizer = modelOptions.requireTokenizer(file, "instructions are text");
            var bad = new BadRecords(BadRecordPolicy.SKIP, line -> err.println("sorted-llama: " + line));
            var instructions = AlpacaFormat.instructions(data, bad);
            if (limit != null) instructions = instructions.subList(0, Math.min(Math.max(0, limit), instructions.size()));
            if (instructions.isEmpty()) throw new BadInputException(data + ": no usable instructions");
            ExitSet set = exits == null ? file.exitSet() : ExitSet.parse(exits, file.config().nLayers());
            var generator = new AnswerGenerator(file.model(), tokenizer, maxTokens);

            StringBuilder lines = new StringBuilder();
            int tooLong = 0;
            try (ProgressBar bar = new ProgressBarBuilder().setTaskName("answers").setInitialMax((long) instructions.size() * set.layers().length)
                    .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).continuousUpdate().build()) {
                for (var instruction : instructions) {
                    if (generator.tooLong(instruction)) tooLong++;
                    generator.answer(instruction, set, answer -> {
                        lines.append(AnswerFile.line(answer)).append('\n');
                        bar.step();
                    });
                }
            }
            AtomicFiles.writeString(out, lines.toString());
            if (tooLong > 0) {
                err.println("sorted-llama: " + tooLong + " prompts fill the model's context of " + file.config().contextLength()
                        + " tokens: their answers are empty");
            }
            spec.commandLine().getOut().printf("%d instructions x %d exits (%s) answered, written to %s%s%n", instructions.size(),
                    set.layers().length, set, out, bad.count() > 0 ? " (" + bad.count() + " bad records skipped)" : "");
        }
        return 0;
    }
}
