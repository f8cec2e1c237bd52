package sortedllama.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.BiFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sortedllama.BadInputException;
import sortedllama.infer.DecodePlan;
import sortedllama.infer.ModeBenchmark;
import sortedllama.io.ModelFile;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaModel;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.train.data.BadRecordPolicy;
import sortedllama.train.data.BadRecords;
import sortedllama.train.data.DataFormat;
import sortedllama.train.data.Example;
import sortedllama.train.data.ExampleEncoder;

/**
 * Speed of speculative and adaptive decoding against full-depth greedy decoding, measured in the
 * same run on the same prompts, with how often the outputs agree.
 */
final class BenchModes {
    private BenchModes() {}

    /** Prompts and settings shared by both benchmarks. */
    static final class Common {
        @Mixin ModelOptions modelOptions;

        @Option(names = "--prompt", paramLabel = "TEXT", description = "A prompt (repeatable; needs a tokenizer).")
        List<String> prompts = new ArrayList<>();

        @Option(names = "--prompt-ids", paramLabel = "\"ID ...\"", description = "A prompt as token ids (repeatable).")
        List<String> promptIds = new ArrayList<>();

        @Option(names = "--prompts-file", paramLabel = "FILE",
                description = "Prompts from a data file (needs a tokenizer), rendered as training renders them: see --prompts-format.")
        Path promptsFile;

        @Option(names = "--prompts-format", paramLabel = "FORMAT", defaultValue = "alpaca",
                description = "Format of --prompts-file: alpaca (instruction/input), triviaqa (questions) or jsonl (prompt/completion) (default ${DEFAULT-VALUE}).")
        String promptsFormat;

        @Option(names = "--prompts-limit", paramLabel = "N", defaultValue = "16",
                description = "Prompts taken from the start of --prompts-file (default ${DEFAULT-VALUE}).")
        int promptsLimit;

        @Option(names = "--tokens", paramLabel = "N", defaultValue = "128", description = "Tokens per prompt (default ${DEFAULT-VALUE}).")
        int tokens;

        @Option(names = "--runs", paramLabel = "R", defaultValue = "3",
                description = "Timed runs over the prompts, the modes taking turns on each prompt; each mode keeps its fastest run of "
                        + "each prompt (default ${DEFAULT-VALUE}).")
        int runs;

        @Option(names = "--exits", paramLabel = "LIST", description = "The model's exit set (default: every layer).")
        String exits;

        /** The prompt set: the given ones, or BOS followed by a few fixed token ids when none are given. */
        List<int[]> prompts(ModelFile file) {
            List<int[]> all = new ArrayList<>();
            for (String ids : promptIds) all.add(TokenIds.parse(ids, "--prompt-ids"));
            if (!prompts.isEmpty()) {
                Tokenizer tok = modelOptions.requireTokenizer(file, "needed for --prompt");
                for (String p : prompts) all.add(tok.encodeAfterBos(p, file.config().bosId()));
            }
            if (promptsFile != null) all.addAll(fromFile(file));
            if (all.isEmpty()) {
                int vocab = file.config().vocabSize(), bos = file.config().bosId();
                for (int i = 0; i < 8; i++) all.add(i == 0 ? new int[] {bos} : new int[] {bos, (int) ((long) i * 7919 % vocab)});
            }
            return all;
        }

        private List<int[]> fromFile(ModelFile file) {
            DataFormat format = switch (promptsFormat.toLowerCase(Locale.ROOT)) {
                case "alpaca" -> DataFormat.ALPACA;
                case "triviaqa" -> DataFormat.TRIVIAQA;
                case "jsonl" -> DataFormat.JSONL;
                default -> throw new BadInputException("--prompts-format must be alpaca, triviaqa or jsonl, got " + promptsFormat);
            };
            if (promptsLimit < 1) throw new BadInputException("--prompts-limit must be at least 1, got " + promptsLimit);
            if (!Files.isRegularFile(promptsFile)) throw new BadInputException("--prompts-file " + promptsFile + " does not exist");
            Tokenizer tok = modelOptions.requireTokenizer(file, "needed for --prompts-file");
            var bad = new BadRecords(BadRecordPolicy.SKIP, line -> System.err.println("sorted-llama: " + line));
            List<int[]> out = new ArrayList<>();
            for (Example e : format.read(promptsFile, new ExampleEncoder(tok), bad)) {
                if (out.size() == promptsLimit) break;
                out.add(e.prompt());
            }
            if (out.isEmpty()) throw new BadInputException(promptsFile + ": no usable prompts");
            return out;
        }

        ExitSet exitSet(ModelFile file) {
            return exits == null ? file.exitSet() : ExitSet.parse(exits, file.config().nLayers());
        }
    }

    static void printRow(PrintWriter out, String name, ModeBenchmark.Totals t, ModeBenchmark.Totals full, int prompts) {
        out.printf(Locale.ROOT, "%-30s %9.1f %7.2fx %7.2f %10s %9d/%d %9.3f%n", name, t.tokensPerSecond(),
                t.tokensPerSecond() / full.tokensPerSecond(), t.meanDepth(),
                Double.isNaN(t.acceptance()) ? "-" : String.format(Locale.ROOT, "%.3f", t.acceptance()),
                t.identicalOutputs(), prompts, t.tokenAgreement());
    }

    /** Runs full depth and each named plan on the prompt set, taking turns, printing one row each. */
    static void compare(PrintWriter out, Common common, BiFunction<ExitSet, LlamaConfig,
            Map<String, DecodePlan>> plans, String footer) {
        if (common.runs < 1) throw new BadInputException("--runs must be at least 1, got " + common.runs);
        try (ModelFile file = common.modelOptions.open()) {
            LlamaModel model = file.model();
            var c = file.config();
            var prompts = common.prompts(file);
            var exits = common.exitSet(file);
            var reference = ModeBenchmark.fullDepthOutputs(model, prompts, common.tokens);
            var all = new LinkedHashMap<String, DecodePlan>();
            String fullName = "full depth " + c.nLayers();
            all.put(fullName, DecodePlan.of("full", null, null, null, null, true, null, null, exits, c));
            all.putAll(plans.apply(exits, c));
            var totals = ModeBenchmark.measure(model, all, prompts, common.tokens, reference, common.runs);
            ModeBenchmark.Totals full = totals.get(fullName);
            printHeader(out);
            totals.forEach((name, t) -> printRow(out, name, t, full, prompts.size()));
            out.printf("%d prompts x %d tokens, greedy, each prompt's best of %d runs (modes taking turns), %s, %s%n", prompts.size(), common.tokens,
                    common.runs, footer, file.path());
        }
    }

    static void printHeader(PrintWriter out) {
        out.printf("%-30s %9s %8s %7s %10s %11s %9s%n", "mode", "tokens/s", "vs full", "depth", "accepted", "identical", "agree");
    }

    @Command(name = "speculative", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Full-depth greedy against self-speculative greedy decoding on a prompt set,",
                    "the draft length G fixed, moved by the cost-model planner (adaptive) and moved",
                    "by Hugging Face's rule (heuristic: start at G, +2 after a fully accepted round,",
                    "-1 otherwise): tokens/s of each and their ratio to full depth, acceptance rate,",
                    "and whether outputs are identical (they must be)."})
    static final class Speculative implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin Common common;

        @Option(names = "--draft-exit", required = true, paramLabel = "K", description = "The exit that drafts.")
        int draftExit;

        @Option(names = "--draft-tokens", paramLabel = "G", defaultValue = "4",
                description = "Tokens drafted per round; the start value when adaptive (default ${DEFAULT-VALUE}).")
        int draftTokens;

        @Override
        public Integer call() {
            compare(spec.commandLine().getOut(), common, (exits, c) -> {
                var plans = new LinkedHashMap<String, DecodePlan>();
                String name = "speculative K=" + draftExit + " G=" + draftTokens;
                plans.put(name, DecodePlan.of("speculative", null, null, draftExit, draftTokens, false, null, null, exits, c));
                DecodePlan planner = DecodePlan.of("speculative", null, null, draftExit, draftTokens, true, null, null, exits, c);
                plans.put(name + " adaptive", planner);
                plans.put(name + " heuristic", planner.withHeuristicDraft());
                return plans;
            }, "draft exit " + draftExit);
            return 0;
        }
    }

    @Command(name = "adaptive", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Full-depth greedy against instance-aware early exit at several confidence thresholds:",
                    "tokens/s, mean depth, and agreement with full-depth output (identical outputs, and the",
                    "share of full depth's tokens reproduced before the first divergence)."})
    static final class Adaptive implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin Common common;

        @Option(names = "--confidence", paramLabel = "C", split = ";",
                defaultValue = "0.95;0.9;0.8;0.6", description = "Threshold settings to try, separated by ';' (default ${DEFAULT-VALUE}).")
        List<String> confidences;

        @Option(names = "--kv-fill", paramLabel = "HOW", defaultValue = "recompute",
                description = "recompute (exact) or propagate (CALM's copy) (default ${DEFAULT-VALUE}).")
        String kvFill;

        @Override
        public Integer call() {
            compare(spec.commandLine().getOut(), common, (exits, c) -> {
                var plans = new LinkedHashMap<String, DecodePlan>();
                for (String conf : confidences) plans.put("adaptive " + conf, DecodePlan.of("adaptive", null, null, null, null, true, conf, kvFill, exits, c));
                return plans;
            }, "KV fill " + kvFill);
            return 0;
        }
    }
}
