package sortedllama.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sortedllama.BadInputException;
import sortedllama.eval.Answer;
import sortedllama.eval.AnswerFile;
import sortedllama.eval.Judge;
import sortedllama.eval.JudgeFormat;
import sortedllama.eval.JudgeReport;
import sortedllama.eval.LocalJudge;
import sortedllama.eval.PairwiseJudge;
import sortedllama.eval.RemoteJudge;
import sortedllama.io.AtomicFiles;
import sortedllama.io.ModelFile;

@Command(name = "judge", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Pairwise judging of two systems' answers (files of eval generate) by a judge model, PandaLM-style:",
                "each instruction is judged with A's answer first and with B's first; score = mean over the two orders of",
                "(A's wins - A's losses) / prompts, in [-1, 1]. The judge: a model this engine loads (--judge-model) or",
                "an OpenAI-compatible endpoint (--judge-url)."})
final class EvalJudgeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--a", required = true, paramLabel = "PATH", description = "System A's answers (JSON Lines of eval generate).")
    Path a;

    @Option(names = "--b", required = true, paramLabel = "PATH", description = "System B's answers.")
    Path b;

    @Option(names = "--a-exit", paramLabel = "K", description = "A's exit to judge (default: the deepest in A's file).")
    Integer aExit;

    @Option(names = "--b-exit", paramLabel = "K", description = "B's exit to judge (default: the deepest in B's file).")
    Integer bExit;

    @Option(names = "--per-exit", description = "Compare A and B at every exit both files hold, one row per exit.")
    boolean perExit;

    @Option(names = "--grid", description = {"Compare every exit of A with every exit of B (the exit-by-exit grid), one row per pair,",
            "then the scores as a matrix (rows: A's exits, columns: B's)."})
    boolean grid;

    @Option(names = "--limit", paramLabel = "N", description = "Judge only the first N instructions of each comparison.")
    Integer limit;

    static final class Which {
        @Option(names = "--judge-model", paramLabel = "PATH", description = "A local judge: any model file this engine loads.")
        Path model;

        @Option(names = "--judge-url", paramLabel = "URL",
                description = "A remote judge: an OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1 (POST URL/chat/completions).")
        String url;
    }

    @ArgGroup(exclusive = true, multiplicity = "1") Which which;

    @Option(names = "--judge-tokenizer", paramLabel = "PATH", description = "Local judge: its tokenizer (default: embedded or beside the model).")
    Path judgeTokenizer;

    @Option(names = "--judge-exit", paramLabel = "K", description = "Local judge: the exit it judges at (default: its last layer).")
    Integer judgeExit;

    @Option(names = "--judge-mode", paramLabel = "MODE",
            description = "Local judge: likelihood (default: the most probable of \" 1\", \" 2\", \" Tie\" after the prompt; deterministic, "
                    + "never invalid) or generate (greedy text, the verdict read from its first line, as for a remote judge).")
    String judgeMode;

    @Option(names = "--judge-format", paramLabel = "FMT", defaultValue = "plain",
            description = {"The judge's prompt: plain (default: this project's wording, the verdict after \"### Verdict:\") or pandalm",
                    "(PandaLM's own template, ending at \"### Evaluation:\" and a line break, for PandaLM-7B; use it with",
                    "--judge-mode generate, as PandaLM is read, or with a remote judge serving it without a chat template)."})
    String judgeFormat;

    @Option(names = "--judge-model-name", paramLabel = "NAME", description = "Remote judge: the \"model\" of the requests.")
    String judgeModelName;

    @Option(names = "--judge-api-key-env", paramLabel = "VAR", description = "Remote judge: the environment variable holding its API key (sent as a bearer token).")
    String judgeApiKeyEnv;

    @Option(names = "--judge-max-tokens", paramLabel = "N", defaultValue = "64",
            description = "Longest verdict and reason the judge may write (generate mode and remote; default ${DEFAULT-VALUE}).")
    int judgeMaxTokens;

    @Option(names = "--judge-timeout", paramLabel = "S", defaultValue = "120", description = "Remote judge: seconds to wait for each reply (default ${DEFAULT-VALUE}).")
    int judgeTimeout;

    @Option(names = "--threads", paramLabel = "N", description = "Local judge: threads for the kernels (default: all cores).")
    Integer threads;

    @Option(names = "--json", description = "Print the summary as JSON (as summary.json) instead of a table.")
    boolean json;

    @Option(names = "--out", paramLabel = "DIR", description = "Write DIR/judgements.jsonl (every prompt, both orders, raw judge output) and DIR/summary.json.")
    Path out;

    @Override
    public Integer call() throws Exception {
        List<Answer> answersA = read(a, "--a"), answersB = read(b, "--b");
        if (perExit && grid) throw new BadInputException("--per-exit and --grid are alternatives: choose one");
        if ((perExit || grid) && (aExit != null || bExit != null)) {
            throw new BadInputException((perExit ? "--per-exit" : "--grid") + " chooses the exits: drop --a-exit/--b-exit");
        }
        JudgeFormat format = format();
        if (judgeMaxTokens < 1) throw new BadInputException("--judge-max-tokens must be at least 1");
        if (limit != null && limit < 1) throw new BadInputException("--limit must be at least 1");
        List<int[]> exitPairs = new ArrayList<>();
        if (perExit) {
            for (int k : PairwiseJudge.commonExits(answersA, answersB)) exitPairs.add(new int[] {k, k});
        } else if (grid) {
            for (int i : PairwiseJudge.exits(answersA)) for (int j : PairwiseJudge.exits(answersB)) exitPairs.add(new int[] {i, j});
        } else {
            exitPairs.add(new int[] {aExit != null ? aExit : PairwiseJudge.exits(answersA).last(),
                    bExit != null ? bExit : PairwiseJudge.exits(answersB).last()});
        }
        List<List<PairwiseJudge.Match>> matches = new ArrayList<>();
        List<Integer> unmatched = new ArrayList<>();
        long judgements = 0;
        for (int[] pair : exitPairs) {
            var m = PairwiseJudge.match(answersA, pair[0], answersB, pair[1]);
            unmatched.add(PairwiseJudge.unmatched(answersA, pair[0], answersB, pair[1], m));
            if (limit != null) m = m.subList(0, Math.min(limit, m.size()));
            matches.add(m);
            judgements += 2L * m.size();
        }

        ModelFile judgeFile = null;
        try {
            Judge judge;
            if (which.url != null) {
                judge = remoteJudge(format);
            } else {
                var options = new ModelOptions();
                options.model = which.model;
                options.tokenizer = judgeTokenizer;
                options.threads = threads;
                judgeFile = options.open();
                var tokenizer = options.requireTokenizer(judgeFile, "the judge reads text");
                int exit = judgeExit != null ? judgeExit : judgeFile.config().nLayers();
                judge = new LocalJudge(judgeFile.model(), tokenizer, exit, mode(), judgeMaxTokens, which.model.toString(), format);
            }
            List<PairwiseJudge.Comparison> comparisons = new ArrayList<>();
            try (ProgressBar bar = new ProgressBarBuilder().setTaskName("judge").setInitialMax(judgements).setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(500).continuousUpdate().build()) {
                for (var m : matches) comparisons.add(PairwiseJudge.compare(judge, m, bar::step));
            }
            var summary = JudgeReport.summary(judge.describe(), a.toString(), b.toString(), comparisons, unmatched);
            if (out != null) {
                AtomicFiles.writeString(out.resolve("judgements.jsonl"), JudgeReport.judgementLines(comparisons));
                AtomicFiles.writeString(out.resolve("summary.json"), summary.toPrettyString() + "\n");
            }
            var print = spec.commandLine().getOut();
            if (json) {
                print.println(summary);
            } else {
                print.print(JudgeReport.table(judge.describe(), comparisons));
                if (grid) print.print(JudgeReport.matrix(comparisons));
                int left = unmatched.stream().mapToInt(Integer::intValue).sum();
                if (left > 0) print.println(left + " answers had no partner in the other file and were not judged");
                print.flush(); // print() alone does not flush the CLI's auto-flushing writer
            }
        } finally {
            if (judgeFile != null) judgeFile.close();
        }
        return 0;
    }

    private static List<Answer> read(Path file, String option) {
        if (!Files.isRegularFile(file)) throw new BadInputException(option + " " + file + " does not exist");
        List<Answer> answers = AnswerFile.read(file);
        if (answers.isEmpty()) throw new BadInputException(option + " " + file + " holds no answers");
        return answers;
    }

    private LocalJudge.Mode mode() {
        if (judgeMode == null) return LocalJudge.Mode.LIKELIHOOD;
        try {
            return LocalJudge.Mode.valueOf(judgeMode.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--judge-mode: unknown mode \"" + judgeMode + "\" (likelihood or generate)");
        }
    }

    private JudgeFormat format() {
        try {
            return JudgeFormat.valueOf(judgeFormat.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--judge-format: unknown format \"" + judgeFormat + "\" (plain or pandalm)");
        }
    }

    private Judge remoteJudge(JudgeFormat format) {
        if (judgeModelName == null) throw new BadInputException("--judge-url needs --judge-model-name (the \"model\" of the requests)");
        if (judgeMode != null && mode() != LocalJudge.Mode.GENERATE) {
            throw new BadInputException("--judge-mode likelihood needs a local judge (--judge-model): a remote judge is read from its text");
        }
        if (judgeTimeout < 1) throw new BadInputException("--judge-timeout must be at least 1 second");
        String key = null;
        if (judgeApiKeyEnv != null) {
            key = System.getenv(judgeApiKeyEnv);
            if (key == null || key.isBlank()) throw new BadInputException("--judge-api-key-env: $" + judgeApiKeyEnv + " is not set");
        }
        return new RemoteJudge(which.url, judgeModelName, key, judgeMaxTokens, Duration.ofSeconds(judgeTimeout), format);
    }
}
