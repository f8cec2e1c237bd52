package sortedllama.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HttpResponseException;
import java.lang.System.Logger.Level;
import java.util.List;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import sortedllama.BadInputException;
import sortedllama.infer.ContinuousBatcher;
import sortedllama.io.ModelFile;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaModel;
import sortedllama.tokenizer.Tokenizer;

/**
 * An OpenAI-compatible HTTP server for one model, at any exit layer:
 * <ul>
 *   <li>POST /v1/completions and /v1/chat/completions (streaming with server-sent events), with
 *       our fields exit_layer, budget, mode, draft_exit, draft_tokens, confidence, kv_fill;</li>
 *   <li>GET /v1/models, /health, and /metrics (Prometheus text).</li>
 * </ul>
 * Jetty (through Javalin) runs each request on a pooled platform thread. Generations of every mode
 * run in a {@link ContinuousBatcher}, whose one thread decodes them all together while the request
 * threads stream their tokens; with batching off each runs right on its request thread, CPU-bound
 * for seconds. {@link Admission} bounds
 * how many run and wait, so threads stay few.
 *
 * <pre>{@code
 * try (var server = new InferenceServer(model, tokenizer, "llama-2-7b", ExitSet.all(32), ServerOptions.defaults()).start(8080)) {
 *     server.join();
 * }
 * }</pre>
 */
public final class InferenceServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(InferenceServer.class.getName());
    /** Room for a prompt that fills a 128k-token context, as text or as token ids. */
    private static final long MAX_REQUEST_BYTES = 16L << 20;
    /** Retry-After of a 429 or 503: about a generation's length, when a slot may have come free. */
    private static final int RETRY_AFTER_SECONDS = 2;

    private final ServingModel model;
    private final ServerOptions options;
    private final Admission admission;
    private final ServerMetrics metrics;
    private final CompletionEndpoint completions;
    private final ContinuousBatcher batcher;
    private final long createdSeconds = System.currentTimeMillis() / 1000;
    private Javalin app;

    /**
     * @param modelId what /v1/models lists and responses name (clients send it back as "model", which is not checked)
     * @param exits   the exits the model was trained for: what budget picks from and adaptive mode exits at
     */
    public InferenceServer(LlamaModel model, Tokenizer tokenizer, String modelId, ExitSet exits, ServerOptions options) {
        this.model = ServingModel.of(model, tokenizer, modelId, exits);
        this.options = options;
        this.admission = new Admission(options.maxConcurrent(), options.maxQueue());
        this.batcher = options.batching()
                ? new ContinuousBatcher(model, options.maxConcurrent(), ContinuousBatcher.DEFAULT_PREFILL_CHUNK) : null;
        this.metrics = new ServerMetrics(admission::inFlight, admission::queued, batcher == null ? () -> 0 : batcher::sharedPrefixTokens);
        this.completions = new CompletionEndpoint(this.model, new RequestParser(this.model, options.defaultMaxTokens(), options.mergeMessages()),
                admission, metrics, options.requestTimeout().toNanos(), batcher);
    }

    /** Serves a model file, named after the file (its weights must stay open while serving). */
    public InferenceServer(ModelFile file, Tokenizer tokenizer, ExitSet exits, ServerOptions options) {
        this(file.model(), tokenizer, file.path().getFileName().toString(), exits, options);
    }

    /** Starts listening on {@code port} of {@link ServerOptions#host()}; 0 picks a free port (see {@link #port()}). */
    public InferenceServer start(int port) {
        if (app != null) throw new IllegalStateException("the server is already started");
        app = Javalin.create(config -> configure(config, port));
        try {
            app.start();
        } catch (RuntimeException e) {
            throw new BadInputException("cannot listen on " + options.host() + ":" + port + ": " + rootMessage(e), e);
        }
        return this;
    }

    /** The port it listens on. */
    public int port() {
        return app.port();
    }

    /** Blocks until the server stops (e.g. from another thread, or at JVM shutdown). */
    public void join() throws InterruptedException {
        app.jettyServer().server().join();
    }

    /** Stops listening; generations in progress are cut off. */
    public void stop() {
        if (app != null) app.stop();
        if (batcher != null) batcher.close();
    }

    @Override
    public void close() {
        stop();
    }

    private void configure(JavalinConfig config, int port) {
        config.startup.showJavalinBanner = false;
        config.startup.showOldJavalinVersionWarning = false;
        config.startup.startupWatcherEnabled = false;
        config.http.compressionStrategy = CompressionStrategy.NONE; // compression would hold back stream chunks
        config.http.maxRequestSize = MAX_REQUEST_BYTES;
        List<String> origins = options.corsOrigins();
        if (!origins.isEmpty()) {
            config.bundledPlugins.enableCors(cors -> cors.addRule(rule -> {
                if (origins.contains("*")) rule.anyHost();
                else rule.allowHost(origins.getFirst(), origins.subList(1, origins.size()).toArray(String[]::new));
                rule.exposeHeader("Retry-After");
            }));
        }
        config.jetty.addConnector((server, http) -> {
            var connector = new ServerConnector(server, new HttpConnectionFactory(http));
            connector.setHost(options.host());
            connector.setPort(port);
            // A non-streaming request is silent while it generates: don't let Jetty call it idle first.
            connector.setIdleTimeout(options.requestTimeout().toMillis() + 30_000);
            return connector;
        });
        for (ApiKind kind : ApiKind.values()) config.routes.post(kind.path, answered(kind.path, ctx -> completions.handle(ctx, kind)));
        config.routes.get("/v1/models", answered("/v1/models", ctx -> sendJson(ctx, 200, OpenAiJson.models(model, createdSeconds))));
        config.routes.get("/v1/models/{id}", answered("/v1/models/{id}", ctx -> {
            if (!ctx.pathParam("id").equals(model.id())) throw ApiException.modelNotFound(ctx.pathParam("id"));
            sendJson(ctx, 200, OpenAiJson.model(model, createdSeconds));
        }));
        config.routes.get("/health", answered("/health", ctx -> sendJson(ctx, 200,
                OpenAiJson.MAPPER.createObjectNode().put("status", "ok").put("model", model.id()))));
        config.routes.get("/metrics", answered("/metrics", ctx -> {
            ctx.contentType("text/plain; version=0.0.4; charset=utf-8");
            ctx.result(metrics.render());
        }));
        config.routes.error(404, ctx -> {
            // a route's own 404 (an unknown model id) has its JSON answer already; Javalin's own is text
            if (String.valueOf(ctx.res().getContentType()).startsWith("application/json")) return;
            sendJson(ctx, 404, OpenAiJson.error("no such endpoint: " + ctx.method() + " " + ctx.path(), "invalid_request_error", null,
                    "unknown_url"));
        });
    }

    /** Wraps a route: answers its failures as OpenAI errors, counts it by status, logs it. */
    private Handler answered(String endpoint, Handler handler) {
        return ctx -> {
            long start = System.nanoTime();
            int status;
            try {
                handler.handle(ctx);
                status = ctx.statusCode();
            } catch (ApiException e) {
                status = e.status();
                // a client retrying at once would only meet the same full queue: ask for a pause
                if (status == 429 || status == 503) ctx.header("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
                sendError(ctx, status, OpenAiJson.error(e));
            } catch (BadInputException e) {
                status = 400;
                sendError(ctx, status, OpenAiJson.error(e.getMessage(), "invalid_request_error", null));
            } catch (HttpResponseException e) { // raised by Javalin itself, e.g. 413 for a body over the size limit
                status = e.getStatus();
                sendError(ctx, status, OpenAiJson.error(e.getMessage(), "invalid_request_error", null));
            } catch (ClientGoneException e) {
                status = 499;
            } catch (Exception e) {
                status = 500;
                LOG.log(Level.ERROR, endpoint + " failed", e);
                sendError(ctx, status, OpenAiJson.error("internal error: " + e, "server_error", null));
            }
            metrics.request(endpoint, status);
            if (options.logRequests()) logRequest(ctx, endpoint, status, start);
        };
    }

    /** One line per request; monitoring's polls of /health and /metrics only at DEBUG. */
    private static void logRequest(Context ctx, String endpoint, int status, long startNanos) {
        Level level = endpoint.startsWith("/v1/") ? Level.INFO : Level.DEBUG;
        if (LOG.isLoggable(level)) {
            LOG.log(level, ctx.method() + " " + endpoint + " " + status + " " + (System.nanoTime() - startNanos) / 1_000_000 + " ms");
        }
    }

    /** An error answer, unless a stream has already started (it then reported the error in-band). */
    private static void sendError(Context ctx, int status, JsonNode body) {
        if (!ctx.res().isCommitted()) sendJson(ctx, status, body);
    }

    static void sendJson(Context ctx, int status, JsonNode body) {
        try {
            ctx.status(status).contentType("application/json").result(OpenAiJson.MAPPER.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String rootMessage(Throwable e) {
        while (e.getCause() != null) e = e.getCause();
        return e.getMessage();
    }
}
