package sortedllama.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sortedllama.BadInputException;
import sortedllama.io.ModelFile;
import sortedllama.model.ExitSet;
import sortedllama.server.InferenceServer;
import sortedllama.server.ServerOptions;

@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve a model over an OpenAI-compatible HTTP API.",
                "POST /v1/completions and /v1/chat/completions (streaming with",
                "server-sent events; extra fields exit_layer, budget, mode, draft_exit, draft_tokens, confidence),",
                "GET /v1/models, /health and /metrics (Prometheus text)."})
final class ServeCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;
    @Mixin KvCacheOption kvCacheOption;
    @Spec CommandSpec spec;

    @Option(names = "--port", paramLabel = "P", defaultValue = "8080", description = "TCP port (default ${DEFAULT-VALUE}; 0 = any free port).")
    int port;

    @Option(names = "--host", paramLabel = "ADDR", defaultValue = "127.0.0.1", description = "Address to listen on (default ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--exits", paramLabel = "LIST", description = "The model's exit set, for budgets and /v1/models (default: the exits the model records as sorted-tuned, else every layer).")
    String exits;

    @Option(names = "--batching", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = {"Decode requests of every mode together, one pass per step for all of them, each leaving at its own",
                    "depth (continuous batching; default). --no-batching runs each request on its own, as before (a",
                    "baseline; logprobs are then refused)."})
    boolean batching;

    @Option(names = "--merge-messages",
            description = {"Reshape chat messages for templates that forbid some conversations (LLaMA 2 chat): \"developer\" as",
                    "\"system\", every system message joined into one at the start, consecutive messages of one role joined",
                    "(default: such a conversation gets HTTP 400)."})
    boolean mergeMessages;

    @Option(names = "--cors", paramLabel = "ORIGIN", split = ",",
            description = {"Let browser pages from these origins call the API (CORS), e.g. http://localhost:3000; \"*\" for any",
                    "(default: none)."})
    List<String> corsOrigins = new ArrayList<>();

    @Option(names = "--slots", paramLabel = "N", description = "Generations at once (default: " + ServerOptions.DEFAULT_BATCH
            + " with batching, else 1: a generation's products already use every core).")
    Integer slots;

    @Option(names = "--queue", paramLabel = "N", description = "Requests that may wait for a slot; more get HTTP 429 (default: 4 per slot; without batching 4 per core).")
    Integer queue;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300", description = "Per-request time limit (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        try (ModelFile file = modelOptions.open()) {
            var tokenizer = modelOptions.requireTokenizer(file, "the server works on text");
            var exitSet = exits == null ? file.exitSet() : ExitSet.parse(exits, file.config().nLayers());
            var options = ServerOptions.defaults().withBatching(batching).withHost(host)
                    .withRequestTimeout(Duration.ofSeconds(timeoutSeconds)).withMergeMessages(mergeMessages)
                    .withCorsOrigins(corsOrigins);
            if (slots != null || queue != null) {
                int s = slots != null ? slots : options.maxConcurrent();
                if (s < 1) throw new BadInputException("--slots must be at least 1");
                options = options.withLimits(s, queue != null ? queue : 4 * s);
            }
            try (var server = new InferenceServer(kvCacheOption.apply(file.model()), tokenizer, file.path().getFileName().toString(), exitSet, options)) {
                server.start(port);
                spec.commandLine().getOut().printf("serving %s on http://%s:%d (layers 1..%d, exits %s, %s)%n", file.path(), host,
                        server.port(), file.config().nLayers(), exitSet,
                        batching ? "batches of up to " + options.maxConcurrent() : "no batching");
                spec.commandLine().getOut().flush();
                server.join();
            }
        }
        return 0;
    }
}
