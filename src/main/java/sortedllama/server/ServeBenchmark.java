package sortedllama.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaModel;
import sortedllama.tokenizer.Tokenizer;

/**
 * The server under load, batched against one request at a time, in the same run: two servers on
 * the same model in this process (continuous batching, and each generation on its own with one
 * slot per core, as before batching), driven in turn by {@link LoadTest} with streamed requests at
 * each concurrency level, with each kind of traffic asked for (e.g. full depth and mixed depths).
 * Each level's order rotates so that no server or traffic always runs first.
 */
public final class ServeBenchmark {
    private ServeBenchmark() {}

    /**
     * @param concurrency        the levels, in order
     * @param requestsPerClient  requests each client sends at a level, one after another
     * @param warmup             untimed requests per client at the largest level, per server and traffic, first
     * @param prompts            the requests' prompts, in turn
     * @param traffics           by name, the extra fields each kind of traffic's requests take in turn (e.g. exit_layer;
     *                           empty: none)
     * @param baseline           also run the one-at-a-time server
     * @param baselineSlots      generations the one-at-a-time server runs at once; 0: its default ({@link ServerOptions#withBatching})
     */
    public record Settings(int[] concurrency, int requestsPerClient, int warmup, int maxTokens, List<String> prompts,
                           Map<String, List<ObjectNode>> traffics, boolean baseline, int baselineSlots, Duration timeLimitPerLevel) {}

    /** One server with one kind of traffic at one level. */
    public record Level(String server, String traffic, int concurrency, LoadTest.Report report) {}

    public static final String BATCHED = "batched", ONE_AT_A_TIME = "one-at-a-time";

    /** Generations the one-at-a-time server runs at once under these settings. */
    public static int baselineSlots(Settings s) {
        return s.baselineSlots() > 0 ? s.baselineSlots() : ServerOptions.defaults().withBatching(false).maxConcurrent();
    }

    /** Runs every level against each server, reporting each result to {@code progress} as it comes. */
    public static List<Level> run(LlamaModel model, Tokenizer tokenizer, ExitSet exits, Settings s, Consumer<Level> progress)
            throws InterruptedException {
        int most = 1;
        for (int c : s.concurrency()) most = Math.max(most, c);
        var base = ServerOptions.defaults().withLogRequests(false);
        List<String> names = new ArrayList<>(List.of(BATCHED));
        List<InferenceServer> servers = new ArrayList<>();
        servers.add(new InferenceServer(model, tokenizer, "bench", exits, base.withBatching(true).withLimits(most, most)));
        if (s.baseline()) {
            names.add(ONE_AT_A_TIME);
            servers.add(new InferenceServer(model, tokenizer, "bench", exits, base.withBatching(false).withLimits(baselineSlots(s), most)));
        }
        List<Level> out = new ArrayList<>();
        try {
            for (InferenceServer server : servers) server.start(0);
            // warm-up at the largest level: the JIT compiles both servers' paths at every batch size
            // before anything is timed (one request of 4 clients left the first timed level of 8 at a third
            // of its speed, its compilations competing for the 2 cores; after two per client, the first
            // five timed levels of 8 still rose from 450 to 600 tokens/s as the HTTP stack was compiled)
            List<String> traffics = List.copyOf(s.traffics().keySet());
            for (InferenceServer server : servers) {
                for (String traffic : traffics) {
                    if (s.warmup() > 0) LoadTest.run(config(server, s, traffic, most, s.warmup()));
                }
            }
            int turns = servers.size() * traffics.size();
            for (int i = 0; i < s.concurrency().length; i++) {
                for (int k = 0; k < turns; k++) {
                    int turn = (i + k) % turns, which = turn % servers.size();
                    String traffic = traffics.get(turn / servers.size());
                    int c = s.concurrency()[i];
                    var level = new Level(names.get(which), traffic, c,
                            LoadTest.run(config(servers.get(which), s, traffic, c, s.requestsPerClient())));
                    out.add(level);
                    progress.accept(level);
                }
            }
        } finally {
            for (InferenceServer server : servers) server.close();
        }
        return out;
    }

    private static LoadTest.Config config(InferenceServer server, Settings s, String traffic, int concurrency, int perClient) {
        return new LoadTest.Config(URI.create("http://127.0.0.1:" + server.port()), concurrency * perClient, concurrency,
                s.maxTokens(), true, false, s.prompts(), s.timeLimitPerLevel(), s.traffics().get(traffic));
    }
}
