package sortedllama.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sortedllama.BadInputException;
import sortedllama.eval.QaEvaluator;
import sortedllama.io.ModelFile;
import sortedllama.model.ExitSet;
import sortedllama.train.data.BadRecordPolicy;
import sortedllama.train.data.BadRecords;
import sortedllama.train.data.DataFormat;
import sortedllama.train.data.ExampleEncoder;

@Command(name = "eval", mixinStandardHelpOptions = true, description = "Evaluate a model at every exit.",
        subcommands = {EvalCommand.Qa.class, EvalGenerateCommand.class, EvalJudgeCommand.class, EvalPositionsCommand.class})
final class EvalCommand {

    @Command(name = "qa", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Closed-book question answering at every exit: exact match and token F1 (TriviaQA normalisation,",
                    "best over the aliases) and the case-sensitive exact match, on TriviaQA-format questions",
                    "(prompt \"Question: Q\\nAnswer:\", greedy, answer = first line)."})
    static final class Qa implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin ModelOptions modelOptions;

        @Option(names = "--data", required = true, paramLabel = "PATH",
                description = {"Questions: TriviaQA's official JSON ({\"Data\":[{\"Question\",\"Answer\":{\"Value\",\"Aliases\"}}]}), a JSON/JSONL list",
                        "of such records, or Hugging Face datasets' export (the same fields in lower case: question, answer.value, answer.aliases)."})
        Path data;

        @Option(names = "--exits", paramLabel = "LIST", description = "Exits to evaluate (default: the model's exit set).")
        String exits;

        @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "50", description = "Longest answer (default ${DEFAULT-VALUE}, as the paper).")
        int maxTokens;

        @Option(names = "--limit", paramLabel = "N", description = "Evaluate only the first N questions.")
        Integer limit;

        @Option(names = "--json", description = "Print {\"exits\":[{\"layer\":k,\"exact_match\":..,\"f1\":..,\"case_sensitive_exact_match\":..}]}.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            if (!Files.isRegularFile(data)) throw new BadInputException("--data " + data + " does not exist");
            if (maxTokens < 1) throw new BadInputException("--max-tokens must be at least 1");
            PrintWriter out = spec.commandLine().getOut();
            try (ModelFile file = modelOptions.open()) {
                var tokenizer = modelOptions.requireTokenizer(file, "questions are text");
                var bad = new BadRecords(BadRecordPolicy.SKIP, line -> spec.commandLine().getErr().println("sorted-llama: " + line));
                var questions = DataFormat.TRIVIAQA.read(data, new ExampleEncoder(tokenizer), bad);
                if (limit != null) questions = questions.subList(0, Math.min(Math.max(0, limit), questions.size()));
                if (questions.isEmpty()) throw new BadInputException(data + ": no usable questions");
                ExitSet set = exits == null ? file.exitSet() : ExitSet.parse(exits, file.config().nLayers());
                var scores = QaEvaluator.evaluate(file.model(), tokenizer, questions, set, maxTokens);
                if (json) {
                    List<Map<String, Object>> rows = new ArrayList<>();
                    for (var s : scores) {
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("layer", s.layer());
                        row.put("exact_match", s.exactMatch());
                        row.put("f1", s.f1());
                        row.put("case_sensitive_exact_match", s.caseSensitiveExactMatch());
                        row.put("questions", s.questions());
                        rows.add(row);
                    }
                    out.println(new ObjectMapper().writeValueAsString(Map.of("exits", rows)));
                } else {
                    out.printf("%6s %12s %8s %20s%n", "exit", "exact match", "F1", "case-sensitive EM");
                    for (var s : scores) {
                        out.printf(Locale.ROOT, "%6d %12.3f %8.3f %20.3f%n", s.layer(), s.exactMatch(), s.f1(), s.caseSensitiveExactMatch());
                    }
                    out.printf("%d questions from %s%s%n", scores[0].questions(), data,
                            bad.count() > 0 ? " (" + bad.count() + " bad records skipped)" : "");
                }
            }
            return 0;
        }
    }
}
