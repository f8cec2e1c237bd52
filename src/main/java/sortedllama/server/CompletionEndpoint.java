package sortedllama.server;

import io.javalin.http.Context;
import java.util.function.Consumer;
import sortedllama.infer.ContinuousBatcher;
import sortedllama.infer.DecodePlan;
import sortedllama.infer.Generator;

/**
 * POST /v1/completions and /v1/chat/completions: validate, wait for a generation slot, generate,
 * and answer with one JSON object or a stream of chunks. Errors before the first byte is sent
 * are thrown as {@link ApiException} (see {@link InferenceServer} for how they are answered).
 */
final class CompletionEndpoint {
    private final ServingModel model;
    private final RequestParser parser;
    private final Admission admission;
    private final ServerMetrics metrics;
    private final long timeoutNanos;
    private final ContinuousBatcher batcher;

    /** @param batcher where full-depth and fixed-exit generations run; null: each on its request's thread */
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
        var responses = new CompletionResponses(kind, model.id());
        Completion done;
        try (var slot = admission.enter(deadline)) {
            done = request.stream() ? stream(ctx, request, responses, deadline) : whole(ctx, request, responses, deadline);
        }
        metrics.generation(done);
    }

    private Completion whole(Context ctx, GenerationRequest request, CompletionResponses responses, long deadline) {
        var text = new StringBuilder();
        Completion c = generate(request, text::append, deadline);
        InferenceServer.sendJson(ctx, 200, responses.whole(text.toString(), c));
        return c;
    }

    private Completion stream(Context ctx, GenerationRequest request, CompletionResponses responses, long deadline) {
        var sse = new SseWriter(ctx.res());
        try {
            sse.send(responses.openingChunk());
            Completion c = generate(request, text -> sse.send(responses.textChunk(text)), deadline);
            sse.send(responses.finishChunk(c.finishReason()));
            if (request.includeUsage()) sse.send(responses.usageChunk(c));
            sse.done();
            return c;
        } catch (ClientGoneException e) {
            throw e;
        } catch (RuntimeException e) {
            // The 200 is already sent: tell the client in-band, then let the server count and log it.
            sse.send(OpenAiJson.error("generation failed: " + e, "server_error", null));
            sse.done();
            throw e;
        }
    }

    /** Runs the generation, sending text to {@code out} as it becomes final. */
    private Completion generate(GenerationRequest request, Consumer<String> out, long deadline) {
        var stream = new TokenStream(model, request, out, deadline);
        Generator.Result result = null;
        DecodePlan plan = request.plan();
        try {
            // Adaptive and speculative generations choose their depth token by token, which the
            // batch does not do yet: they run on their own, beside the batch.
            boolean batched = batcher != null && (plan.mode() == DecodePlan.Mode.FULL || plan.mode() == DecodePlan.Mode.EXIT);
            result = batched
                    ? batcher.generate(request.prompt(), request.maxTokens(), plan.exitLayer(), request.sampler(), model.eosId(), stream)
                    : plan.generate(model.model(), model.speculation(), request.prompt(), request.maxTokens(), request.sampler(),
                            model.eosId(), stream);
        } catch (GenerationStopped e) {
            // Ended early on purpose; the stream knows why and has sent the text so far.
        }
        stream.finish();
        return stream.completion(request.prompt().length, result);
    }
}
