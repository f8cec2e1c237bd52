package sortedllama.server;

import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import sortedllama.infer.ContinuousBatcher;
import sortedllama.infer.DecodePlan;
import sortedllama.infer.Generator;
import sortedllama.infer.TokenLogprobs;
import sortedllama.infer.json.JsonConstraint;

/**
 * POST /v1/completions and /v1/chat/completions: validate, wait for a generation slot, generate
 * each of the request's choices, and answer with one JSON object or a stream of chunks. Errors
 * before the first byte is sent are thrown as {@link ApiException} (see {@link InferenceServer}
 * for how they are answered).
 */
final class CompletionEndpoint {
    private final ServingModel model;
    private final RequestParser parser;
    private final Admission admission;
    private final ServerMetrics metrics;
    private final long timeoutNanos;
    private final ContinuousBatcher batcher;

    /** @param batcher where generations run, in every mode; null: each on its request's thread */
    CompletionEndpoint(ServingModel model, RequestParser parser, Admission admission, ServerMetrics metrics, long timeoutNanos,
                       ContinuousBatcher batcher) {
        this.model = model;
        this.batcher = batcher;
        this.parser = parser;
        this.admission = admission;
        this.metrics = metrics;
        this.timeoutNanos = timeoutNanos;
    }

    void handle(Context ctx, ApiKind kind) {
        long deadline = System.nanoTime() + timeoutNanos;
        GenerationRequest request = parser.parse(ctx.bodyAsBytes(), kind);
        if (request.topLogprobs() >= 0 && batcher == null) {
            throw ApiException.unsupported("logprobs", "log probabilities come from batched generations, and batching is off");
        }
        if (request.format() != null && batcher == null) {
            throw ApiException.unsupported(ResponseFormat.PARAM, "constrained decoding runs in batched generations, and batching is off");
        }
        var responses = new CompletionResponses(kind, model.id(), model.tokenizer());
        List<Completion> done;
        try (var slot = admission.enter(deadline)) {
            done = request.stream() ? stream(ctx, request, responses, deadline) : whole(ctx, request, responses, deadline);
        }
        for (Completion c : done) metrics.generation(c);
    }

    private List<Completion> whole(Context ctx, GenerationRequest request, CompletionResponses responses, long deadline) {
        List<StringBuilder> texts = new ArrayList<>();
        List<List<TokenLogprobs>> logprobs = new ArrayList<>();
        for (int i = 0; i < request.choices(); i++) {
            texts.add(new StringBuilder());
            logprobs.add(new ArrayList<>());
        }
        var probe = ConnectionProbe.of(ctx);
        List<Completion> done = choices(request, i -> (text, lps) -> {
            probe.check(); // a client that left ends the generation, as a stream's failed write does
            texts.get(i).append(text);
            logprobs.get(i).addAll(lps);
        }, deadline);
        InferenceServer.sendJson(ctx, 200, responses.whole(texts.stream().map(StringBuilder::toString).toList(),
                request.topLogprobs() >= 0 ? logprobs : null, done));
        return done;
    }

    private List<Completion> stream(Context ctx, GenerationRequest request, CompletionResponses responses, long deadline) {
        var sse = new SseWriter(ctx.res());
        try {
            for (int i = 0; i < request.choices(); i++) sse.send(responses.openingChunk(i));
            // choices generated together send their chunks from their own threads, one at a time
            List<Completion> done = choices(request, i -> (text, logprobs) -> {
                synchronized (sse) {
                    sse.send(responses.textChunk(i, text, request.topLogprobs() >= 0 ? logprobs : null));
                }
            }, deadline);
            for (int i = 0; i < done.size(); i++) sse.send(responses.finishChunk(i, done.get(i).finishReason()));
            if (request.includeUsage()) sse.send(responses.usageChunk(done));
            sse.done();
            return done;
        } catch (ClientGoneException e) {
            throw e;
        } catch (RuntimeException e) {
            // The 200 is already sent: tell the client in-band, then let the server count and log it.
            sse.send(OpenAiJson.error("generation failed: " + e, "server_error", null));
            sse.done();
            throw e;
        }
    }

    /**
     * Generates every choice, sending choice i's text to {@code outputs.apply(i)}: in the batch, all
     * at once (each on a virtual thread that waits for its tokens), so that they share its passes;
     * otherwise one after another on this thread, as each then takes a core's worth of work.
     */
    private List<Completion> choices(GenerationRequest request, IntFunction<TokenStream.Output> outputs, long deadline) {
        int n = request.choices();
        List<Completion> done = new ArrayList<>();
        if (n == 1 || batcher == null) {
            for (int i = 0; i < n; i++) done.add(generate(request, i, outputs.apply(i), deadline));
            return done;
        }
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        try {
            List<Future<Completion>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int choice = i;
                futures.add(threads.submit(() -> generate(request, choice, outputs.apply(choice), deadline)));
            }
            for (Future<Completion> f : futures) done.add(f.get());
            return done;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GenerationStopped("server stopping");
        } finally {
            threads.shutdownNow(); // a failed choice ends the others (they leave the batch)
            threads.close();
        }
    }

    /** Runs choice {@code choice}'s generation, sending text to {@code out} as it becomes final. */
    private Completion generate(GenerationRequest request, int choice, TokenStream.Output out, long deadline) {
        var stream = new TokenStream(model, request, out, deadline);
        var sampler = request.samplers().get(choice);
        DecodePlan plan = request.plan();
        // each choice follows the grammar with its own state
        var constraint = request.format() == null ? null : new JsonConstraint(request.format(), model.vocabulary(), model.stopTokens());
        Generator.Result result = null;
        try {
            result = batcher != null
                    ? batcher.generate(request.prompt(), request.maxTokens(), plan, sampler, model.eosId(), request.topLogprobs(),
                            constraint, stream)
                    : plan.generate(model.model(), model.speculation(), request.prompt(), request.maxTokens(), sampler,
                            model.eosId(), stream);
        } catch (GenerationStopped | CancellationException e) {
            // Ended early on purpose (or the server is stopping); the stream has sent the text so far.
        }
        stream.finish();
        return stream.completion(request.prompt().length, result);
    }
}
