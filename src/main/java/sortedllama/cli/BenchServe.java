package sortedllama.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
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
import sortedllama.io.ModelFile;
import sortedllama.server.LoadTest;
import sortedllama.server.ServeBenchmark;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.train.data.AlpacaFormat;
import sortedllama.train.data.BadRecordPolicy;
import sortedllama.train.data.BadRecords;

@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The HTTP server under load: aggregate tokens/s, time per output token and time to first token at",
                "each concurrency level, for the continuous-batching server and (the baseline, in the same run) the",
                "server that runs each request on its own, both in this process on the same model. Requests are",
                "streamed completions, greedy, of one prompt or of a file's prompts in turn; the servers take turns at each level."})
final class BenchServe implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOptions modelOptions;
    @Mixin KvCacheOption kvCacheOption;

    @Option(names = "--concurrency", paramLabel = "LIST", defaultValue = "1,2,4,8,16",
            description = "Concurrent clients at each level, comma-separated; a level may repeat (8,8,8: three runs of 8, each "
                    + "with its own ratios) (default ${DEFAULT-VALUE}).")
    String concurrency;

    @Option(names = "--requests-per-client", paramLabel = "N", defaultValue = "2",
            description = "Requests each client sends at a level, one after another (default ${DEFAULT-VALUE}).")
    int requestsPerClient;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "24",
            description = {"Untimed requests per client at the largest level, for each server and traffic, before the levels",
                    "(default ${DEFAULT-VALUE}): the JIT compiles the HTTP stack's and the model's paths under load. Timed after",
                    "too few, a level of 8 ran at three quarters of its later speed; after 8 on an AMD EPYC, three levels of 8",
                    "in a row still rose by 10-20%% (561, 620, 670 tokens/s), after 24 they held (719-732)."})
    int warmup;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "64", description = "max_tokens of each request (default ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--prompt", paramLabel = "TEXT", defaultValue = "Once upon a time",
            description = {"The prompt of every request (default \"${DEFAULT-VALUE}\"). Requests of one prompt at one depth",
                    "that arrive together share its prefill, as a request's n choices do."})
    String prompt;

    @Option(names = "--prompts-file", paramLabel = "PATH",
            description = {"Prompts instead of --prompt: Alpaca-format records (a JSON array or JSON Lines of instruction and",
                    "optional input, as Stanford Alpaca's data and PandaLM's evaluation set), each in the Alpaca template; request i",
                    "of a level takes prompt i (wrapping around), so concurrent requests have prompts of their own to prefill."})
    Path promptsFile;

    @Option(names = "--traffic", paramLabel = "KINDS", defaultValue = "full",
            description = {"Comma-separated kinds of traffic, each run at every level in turn with the others: full: every",
                    "request at full depth; mixed: requests in turn at exit L/2, exit L/2, speculative and adaptive (confidence",
                    "0.9 at exit L/2) (half the traffic at half depth, a quarter each speculative and adaptive). With both, the batched server's",
                    "mixed / full ratio is printed too (default ${DEFAULT-VALUE})."})
    String traffic;

    @Option(names = "--baseline", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Also run the one-request-at-a-time server (default; --no-baseline skips it).")
    boolean baseline;

    @Option(names = "--baseline-slots", paramLabel = "N",
            description = {"Generations the one-request-at-a-time server runs at once (default: its own default, 1, as",
                    "`serve --no-batching`; the rest wait in its queue). Earlier versions ran one per core: on 2 cores",
                    "189-227 tokens/s at 8 clients against 220-258 with 1 in alternating runs (BENCHMARKS.md)."})
    Integer baselineSlots;

    @Option(names = "--time-limit", paramLabel = "SECONDS", defaultValue = "600",
            description = "No request of a level starts after this long (default ${DEFAULT-VALUE}).")
    int timeLimitSeconds;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        int[] levels = levels();
        if (requestsPerClient < 1) throw new BadInputException("--requests-per-client must be at least 1, got " + requestsPerClient);
        if (warmup < 0) throw new BadInputException("--warmup must be at least 0, got " + warmup);
        if (maxTokens < 1) throw new BadInputException("--max-tokens must be at least 1, got " + maxTokens);
        if (timeLimitSeconds < 1) throw new BadInputException("--time-limit must be at least 1 second, got " + timeLimitSeconds);
        if (baselineSlots != null && baselineSlots < 1) throw new BadInputException("--baseline-slots must be at least 1, got " + baselineSlots);
        try (ModelFile file = modelOptions.open()) {
            var tokenizer = modelOptions.requireTokenizer(file, "the server works on text");
            var traffics = traffics(file.config().nLayers());
            List<String> prompts = prompts();
            var settings = new ServeBenchmark.Settings(levels, requestsPerClient, warmup, maxTokens, prompts, traffics, baseline,
                    baselineSlots == null ? 0 : baselineSlots, Duration.ofSeconds(timeLimitSeconds));
            out.printf("%-14s %-7s %5s %9s %11s %12s %12s %13s%n", "server", "traffic", "conc", "ok/sent", "tokens/s", "ms/token p50",
                    "ms/token p99", "first tok p50");
            out.flush();
            Map<String, List<Double>> speed = new HashMap<>(); // by server, traffic and level, in the order run
            List<ServeBenchmark.Level> all = ServeBenchmark.run(kvCacheOption.apply(file.model()), tokenizer, file.exitSet(), settings, level -> {
                LoadTest.Report r = level.report();
                out.printf(Locale.ROOT, "%-14s %-7s %5d %4d/%-4d %11.1f %12.2f %12.2f %13.1f%n", level.server(), level.traffic(),
                        level.concurrency(), r.succeeded(), r.sent(), r.tokensPerSecond(), r.perOutputTokenMs(0.5),
                        r.perOutputTokenMs(0.99), r.firstTokenMs(0.5));
                out.flush();
            });
            for (var level : all) {
                speed.computeIfAbsent(level.server() + " " + level.traffic() + " " + level.concurrency(), k -> new ArrayList<>())
                        .add(level.report().tokensPerSecond());
            }
            for (String kind : traffics.keySet()) {
                if (baseline) out.println(ratios("batched / one-at-a-time, " + kind + " traffic", speed, ServeBenchmark.BATCHED + " " + kind,
                        ServeBenchmark.ONE_AT_A_TIME + " " + kind));
            }
            if (traffics.containsKey("full") && traffics.containsKey("mixed")) {
                out.println(ratios("batched, mixed / full traffic", speed, ServeBenchmark.BATCHED + " mixed", ServeBenchmark.BATCHED + " full"));
            }
            out.printf("%s traffic, %d tokens per request, %d per client per level, %s, %s%n", String.join(" and ", traffics.keySet()), maxTokens,
                    requestsPerClient, describe(prompts, tokenizer), file.path());
            if (baseline) {
                int slots = ServeBenchmark.baselineSlots(settings);
                out.printf("the one-at-a-time server runs %d generation%s at once%n", slots, slots == 1 ? "" : "s");
            }
        }
        return 0;
    }

    /** The prompts in turn: the file's, in the Alpaca template, or --prompt. */
    private List<String> prompts() {
        if (promptsFile == null) return List.of(prompt);
        if (!Files.isRegularFile(promptsFile)) throw new BadInputException("--prompts-file " + promptsFile + " does not exist");
        var bad = new BadRecords(BadRecordPolicy.SKIP, line -> spec.commandLine().getErr().println("sorted-llama: " + line));
        List<String> prompts = AlpacaFormat.instructions(promptsFile, bad).stream().map(AlpacaFormat.Instruction::prompt).toList();
        if (prompts.isEmpty()) throw new BadInputException(promptsFile + ": no usable instructions");
        return prompts;
    }

    /** "prompt \"...\"" or "N prompts of promptsFile (tokens: min, median, max)". */
    private String describe(List<String> prompts, Tokenizer tokenizer) {
        if (promptsFile == null) return "prompt \"" + prompt + "\"";
        int[] lengths = prompts.stream().mapToInt(p -> tokenizer.encode(p).length).sorted().toArray();
        return String.format(Locale.ROOT, "%d prompts of %s in the Alpaca template (%d-%d tokens of text, median %d)", prompts.size(), promptsFile,
                lengths[0], lengths[lengths.length - 1], lengths[lengths.length / 2]);
    }

    private int[] levels() {
        String[] parts = concurrency.split(",");
        int[] levels = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                levels[i] = Integer.parseInt(parts[i].strip());
            } catch (NumberFormatException e) {
                throw new BadInputException("--concurrency must be a comma-separated list of numbers, got " + concurrency);
            }
            if (levels[i] < 1 || levels[i] > 256) throw new BadInputException("--concurrency levels must be in 1..256, got " + levels[i]);
        }
        return levels;
    }

    /**
     * "title, aggregate tokens/s by concurrency: C: R, ..." over the levels both ran; a level given twice
     * pairs its first runs, then its second runs.
     */
    private String ratios(String title, Map<String, List<Double>> speed, String numerator, String denominator) {
        List<String> ratios = new ArrayList<>();
        Map<Integer, Integer> seen = new HashMap<>();
        for (int c : levels()) {
            int i = seen.merge(c, 1, Integer::sum) - 1;
            List<Double> top = speed.getOrDefault(numerator + " " + c, List.of()), bottom = speed.getOrDefault(denominator + " " + c, List.of());
            if (i < top.size() && i < bottom.size()) ratios.add(String.format(Locale.ROOT, "%d: %.2fx", c, top.get(i) / bottom.get(i)));
        }
        return title + ", aggregate tokens/s by concurrency: " + String.join(", ", ratios);
    }

    /** Each kind of traffic asked for, by name, with the extra fields of its requests in turn. */
    private Map<String, List<ObjectNode>> traffics(int layers) {
        var json = new ObjectMapper();
        Map<String, List<ObjectNode>> kinds = new LinkedHashMap<>();
        for (String part : traffic.split(",")) {
            String kind = part.strip().toLowerCase(Locale.ROOT);
            kinds.put(kind, switch (kind) {
                case "full" -> List.of();
                case "mixed" -> {
                    int half = Math.max(1, layers / 2);
                    // adaptive requests test their confidence at exit L/2 only: every exit's head costs about as
                    // much as 3 layers of a 32,000-token model, so testing at every layer would outweigh its savings
                    yield List.of(json.createObjectNode().put("exit_layer", half), json.createObjectNode().put("exit_layer", half),
                            json.createObjectNode().put("mode", "speculative"),
                            json.createObjectNode().put("mode", "adaptive").put("confidence", half + ":0.9"));
                }
                default -> throw new BadInputException("--traffic must be full, mixed or both (full,mixed), got " + traffic);
            });
        }
        return kinds;
    }
}
