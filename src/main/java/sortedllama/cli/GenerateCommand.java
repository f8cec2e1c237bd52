package sortedllama.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sortedllama.BadInputException;
import sortedllama.infer.ContinuousBatcher;
import sortedllama.infer.DecodePlan;
import sortedllama.infer.Generator;
import sortedllama.infer.Sampler;
import sortedllama.infer.SpeculationMemory;
import sortedllama.infer.json.JsonConstraint;
import sortedllama.infer.json.TokenTrie;
import sortedllama.infer.json.ValueGrammar;
import sortedllama.io.ModelFile;
import sortedllama.model.LlamaModel;
import sortedllama.tokenizer.StreamingDecoder;
import sortedllama.tokenizer.Tokenizer;

@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Generate text (or token ids) from a prompt at any exit layer.",
                "Greedy by default; --temperature > 0 samples with top-k / top-p and a seed."})
final class GenerateCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOptions modelOptions;
    @Mixin KvCacheOption kvCacheOption;

    static final class Prompt {
        @Option(names = "--prompt", paramLabel = "TEXT",
                description = "Prompt text; BOS is prepended. Plain text: special tokens in it are parsed only with --parse-special.")
        String text;

        @Option(names = "--prompt-ids", paramLabel = "\"ID ...\"",
                description = "Prompt as token ids separated by spaces; used as given (no BOS added), no tokenizer needed.")
        String ids;
    }

    @ArgGroup(exclusive = true, multiplicity = "1") Prompt prompt;

    @Option(names = "--max-tokens", required = true, paramLabel = "N",
            description = "Tokens to generate (fewer only at EOS or at the end of the model's context, which bounds it).")
    int maxTokens;

    @Option(names = "--exit-layer", paramLabel = "K",
            description = "Run only the first K layers, then the final norm and the shared head (1..L; default L).")
    Integer exitLayer;

    @Mixin DecodeOptions decode;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0",
            description = "Sampling temperature; 0 = greedy (default ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "0.9",
            description = "Nucleus sampling: keep the smallest set of tokens whose probability reaches P (default ${DEFAULT-VALUE}; 1 = off). Only when sampling.")
    float topP;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "0",
            description = "Keep only the K most likely tokens (default ${DEFAULT-VALUE} = off). Only when sampling.")
    int topK;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--ids", description = "Print the generated token ids on one line of stdout instead of text.")
    boolean ids;

    @Option(names = "--ignore-eos", description = "Do not stop at the end-of-sequence token.")
    boolean ignoreEos;

    @Option(names = "--stats", description = "At the end, print one JSON line of statistics on stderr.")
    boolean stats;

    /** --parse-special's help, shared with tokenize. */
    static final String PARSE_SPECIAL = "Turn the texts of the vocabulary's special (control) tokens, e.g. <s>, </s>, <unk>, "
            + "<|eot_id|>, into their ids. Without it text is plain text: \"</s>\" in it is five characters, not EOS "
            + "(for every kind of vocabulary). User-defined tokens match either way.";

    @Option(names = "--parse-special", description = PARSE_SPECIAL)
    boolean parseSpecial;

    @Mixin JsonOutputOptions jsonOutput;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (ModelFile file = modelOptions.open()) {
            var config = file.config();
            var plan = decode.plan(exitLayer, file);
            ValueGrammar format = jsonOutput.grammar();
            Tokenizer tokenizer = ids && prompt.ids != null && format == null ? null
                    : modelOptions.requireTokenizer(file, "needed for --prompt text, for text output and for --json; use --prompt-ids with --ids "
                            + "to work on ids alone");
            int[] promptIds;
            if (prompt.ids != null) {
                promptIds = TokenIds.parse(prompt.ids, "--prompt-ids");
            } else {
                promptIds = tokenizer.encodeAfterBos(prompt.text, config.bosId(), parseSpecial);
            }
            int eos = ignoreEos ? -1 : (tokenizer != null && tokenizer.eosId() >= 0 ? tokenizer.eosId() : config.eosId());
            var sampler = new Sampler(temperature, topK, temperature == 0 ? 1f : topP, seed);
            var model = kvCacheOption.apply(file.model());

            StreamingDecoder decoder = ids ? null : new StreamingDecoder(tokenizer, promptIds[promptIds.length - 1]);
            Generator.TokenListener listener = ids ? null : token -> {
                if (token == eos) return;
                out.print(decoder.feed(token));
                out.flush();
            };
            if (maxTokens < 0) throw new BadInputException("--max-tokens must be >= 0, got " + maxTokens);
            // as the server caps max_tokens: generation ends at the context's end anyway, and a larger
            // number must not size the per-token arrays (2^31 - 1 would overflow, 10^9 allocate gigabytes)
            int budget = Math.min(maxTokens, config.generationRoom(promptIds.length));
            var result = format == null ? plan.generate(model, new SpeculationMemory(), promptIds, budget, sampler, eos, listener)
                    : constrained(model, plan, promptIds, budget, sampler, eos, format, tokenizer, listener);
            if (ids) {
                out.println(TokenIds.format(result.tokens()));
            } else {
                out.println(decoder.flush());
            }
            if (result.stop() == Generator.StopReason.CONTEXT_FULL || (budget < maxTokens && result.tokens().length == budget)) {
                spec.commandLine().getErr().println("sorted-llama: stopped at the end of the model's context ("
                        + config.contextLength() + " tokens)");
            }
            if (stats) spec.commandLine().getErr().println(statsJson(result, promptIds.length));
        }
        return 0;
    }

    /**
     * A generation whose output follows {@code format}: run in a batcher of its own, where output
     * constraints are applied.
     */
    private static Generator.Result constrained(LlamaModel model, DecodePlan plan, int[] prompt, int maxTokens, Sampler sampler, int eos,
                                                ValueGrammar format, Tokenizer tokenizer, Generator.TokenListener listener) {
        if (eos < 0) throw new BadInputException("--json and --json-schema need the end-of-sequence token to end the output: drop --ignore-eos");
        var constraint = new JsonConstraint(format, TokenTrie.of(tokenizer), Set.of(eos));
        try (var batcher = new ContinuousBatcher(model, 1, ContinuousBatcher.DEFAULT_PREFILL_CHUNK)) {
            return batcher.generate(prompt, maxTokens, plan, sampler, eos, -1, constraint, (token, logprobs) -> {
                if (listener != null) listener.onToken(token);
            });
        }
    }

    /** The --stats line: {"tokens":n,"tokens_per_s":x,"mean_depth":d,"acceptance":a, ...}. */
    static String statsJson(Generator.Result r, int promptTokens) {
        var json = new LinkedHashMap<String, Object>();
        json.put("tokens", r.tokens().length);
        json.put("tokens_per_s", round(r.decodeTokensPerSecond()));
        json.put("mean_depth", round(r.meanDepth()));
        json.put("acceptance", Double.isNaN(r.acceptance()) ? null : round(r.acceptance()));
        json.put("prompt_tokens", promptTokens);
        json.put("prefill_ms", round(r.prefillNanos() / 1e6));
        json.put("stop", r.stop().name().toLowerCase(Locale.ROOT));
        try {
            return new ObjectMapper().writeValueAsString(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
