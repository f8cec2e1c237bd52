package sortedllama.infer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import sortedllama.model.LlamaModel;
import sortedllama.model.StepSequence;

/**
 * Continuous batching: one thread owns the model and, at each step, runs the next positions of
 * every active generation through the layers together ({@link LlamaModel#step}), so each weight
 * row is read once for all of them, while decoding is bound by reading weights. Each generation
 * keeps its own depth (a fixed exit: it leaves the pass after that layer; adaptive: it leaves at
 * the first exit confident enough; speculative: its drafts leave at the draft exit and their
 * verification joins the pass there as extra positions, see {@link BatchedGeneration}'s kinds),
 * its own KV cache and its own seeded sampler, so its tokens do not depend on what else is in the
 * batch: greedy output is the same alone or batched, and a seed reproduces its text.
 *
 * <p>Between steps, new generations are admitted and their prompts prefilled in chunks of
 * {@code prefillChunk} tokens (at most about one chunk's worth per step, so a long prompt does not
 * stall the others for long); a chunk's boundaries depend only on its own prompt, so prefill too
 * is the same alone or batched. A prompt that fits in one chunk is prefilled exactly as each
 * mode's generator alone does it. Generations of one prompt prefilled to one exit that meet while
 * it is prefilled (a request's n choices) share that prefill, each taking a copy of its cache.
 * On a model whose keys and values do not depend on how positions are split into passes
 * ({@link LlamaModel#splitInvariant}: Q8_0, Q4_0 or IQ4_NL on AMX; these and Q4_K without AMX), a prompt that begins as the
 * prompt of a generation in the batch begins (a template, a system prompt) copies those
 * positions' keys and values instead of computing them, and prefills the rest; its tokens are
 * the same bits as without the copy, and prompt chunks join the decoding pass ({@link PrefillChunk}):
 * one read of the weights serves both, instead of one for the chunk and one for the step.
 * Finished generations leave at once.
 *
 * <p>Callers block in {@link #generate} on their own thread, where their listener runs: a slow
 * client never holds up the model thread, and a listener that throws (a stop string, a client
 * that left) cancels its generation, which leaves the batch at the next step.
 */
public final class ContinuousBatcher implements AutoCloseable {
    /** Prompt tokens per prefill chunk when none is given: a chunk then costs a few decoding steps. */
    public static final int DEFAULT_PREFILL_CHUNK = 64;

    private final LlamaModel model;
    private final int maxBatch, prefillChunk;
    /**
     * Whether prompts may copy a prefix from another generation's cache, and prompt chunks run in the
     * decoding pass ({@link LlamaModel#splitInvariant}: their positions get the same bits either way).
     */
    private final boolean splitInvariant;
    private final AtomicLong sharedPrefixTokens = new AtomicLong(), promptTokensInSteps = new AtomicLong();
    private final BlockingQueue<BatchedGeneration> arrivals = new LinkedBlockingQueue<>();
    private final Thread thread;
    private final AtomicInteger batchSize = new AtomicInteger();
    /** What speculation has measured here, in steps of this batch (not comparable with speculation alone). */
    private final SpeculationMemory speculation = new SpeculationMemory();
    private volatile boolean closed;
    // owned by the model thread
    private final ArrayDeque<BatchedGeneration> prefilling = new ArrayDeque<>();
    private final List<BatchedGeneration> decoding = new ArrayList<>();
    /** Prompt chunks that run in the next decoding pass (split-invariant models only). */
    private final List<PrefillChunk> chunks = new ArrayList<>();

    /**
     * @param maxBatch     generations decoded together at most; later ones wait for a place
     * @param prefillChunk prompt tokens fed in one pass
     */
    public ContinuousBatcher(LlamaModel model, int maxBatch, int prefillChunk) {
        if (maxBatch < 1) throw new IllegalArgumentException("max batch must be >= 1, got " + maxBatch);
        if (prefillChunk < 1) throw new IllegalArgumentException("prefill chunk must be >= 1, got " + prefillChunk);
        this.model = model;
        this.maxBatch = maxBatch;
        this.prefillChunk = prefillChunk;
        this.splitInvariant = model.splitInvariant();
        this.thread = Thread.ofPlatform().daemon().name("continuous-batcher").start(this::run);
    }

    /**
     * Generates at a fixed exit as {@link Generator#generate} does, in the batch: blocks until the
     * generation ends, calling {@code listener} on this thread with each token. An exception from the
     * listener cancels the generation and is rethrown; so does an interrupt, as a CancellationException.
     */
    public Generator.Result generate(int[] prompt, int maxTokens, int exitLayer, Sampler sampler, int eosId,
                                     Generator.TokenListener listener) {
        return generate(prompt, maxTokens, DecodePlan.fixedExit(exitLayer, model.config()), sampler, eosId, -1, (token, logprobs) -> {
            if (listener != null) listener.onToken(token);
        });
    }

    /** Called with each token and, when asked for, its log probabilities. */
    @FunctionalInterface
    public interface LogprobListener {
        void onToken(int token, TokenLogprobs logprobs);
    }

    /**
     * Generates as {@code plan} says (any mode), in the batch, with each token's log probability and
     * its {@code topLogprobs} most probable alternatives (-1: none, and null) under the logits it was
     * chosen from.
     */
    public Generator.Result generate(int[] prompt, int maxTokens, DecodePlan plan, Sampler sampler, int eosId, int topLogprobs,
                                     LogprobListener listener) {
        return generate(prompt, maxTokens, plan, sampler, eosId, topLogprobs, null, listener);
    }

    /**
     * As above, each token sampled among those {@code constraint} allows (null: any; one
     * constraint per generation, as it follows its tokens). Every mode takes one (speculation drafts and verifies under it).
     */
    public Generator.Result generate(int[] prompt, int maxTokens, DecodePlan plan, Sampler sampler, int eosId, int topLogprobs,
                                     OutputConstraint constraint, LogprobListener listener) {
        var g = BatchedGeneration.of(model, plan, speculation, prompt, maxTokens, sampler, eosId, topLogprobs, constraint);
        if (closed) throw new IllegalStateException("the batcher is closed");
        arrivals.add(g);
        try {
            while (true) {
                BatchedGeneration.Event e = g.events.take();
                if (e.result() != null) return e.result();
                if (e.error() != null) throw e.error();
                listener.onToken(e.token(), e.logprobs());
            }
        } catch (InterruptedException e) {
            g.cancelled = true;
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while generating");
        } catch (RuntimeException | Error e) {
            g.cancelled = true;
            throw e;
        }
    }

    /** Prompt positions whose keys and values were copied from another generation's cache instead of computed, so far. */
    public long sharedPrefixTokens() {
        return sharedPrefixTokens.get();
    }

    /** Prompt positions computed in the decoding passes ({@link PrefillChunk}) rather than in passes of their own, so far. */
    public long promptTokensInSteps() {
        return promptTokensInSteps.get();
    }

    /** Generations in the batch now (prefilling or decoding). */
    public int active() {
        return batchSize.get();
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }

    private void run() {
        while (!closed) {
            try {
                admit();
            } catch (InterruptedException e) {
                break;
            }
            for (BatchedGeneration g : prefilling) {
                if (!g.cancelled) continue;
                for (BatchedGeneration f : g.followers) f.leader = null; // they prefill themselves after all
            }
            prefilling.removeIf(g -> g.cancelled);
            decoding.removeIf(g -> g.cancelled);
            prefill();
            decode();
            batchSize.set(prefilling.size() + decoding.size());
        }
        var failure = new IllegalStateException("the server is shutting down");
        for (BatchedGeneration g : prefilling) g.fail(failure);
        for (BatchedGeneration g : decoding) g.fail(failure);
        for (BatchedGeneration g; (g = arrivals.poll()) != null; ) g.fail(failure);
    }

    /** Takes in waiting generations while there is room; sleeps while there is nothing to do. */
    private void admit() throws InterruptedException {
        if (prefilling.isEmpty() && decoding.isEmpty()) prefilling.add(arrivals.take());
        while (prefilling.size() + decoding.size() < maxBatch) {
            BatchedGeneration g = arrivals.poll();
            if (g == null) break;
            for (BatchedGeneration other : prefilling) {
                // the same prompt prefilled to the same exit (n choices of one request): prefill it once
                if (other.leader == null && other.prefillExit == g.prefillExit && Arrays.equals(other.prompt, g.prompt)) {
                    g.leader = other;
                    other.followers.add(g);
                    break;
                }
            }
            prefilling.add(g);
        }
        batchSize.set(prefilling.size() + decoding.size());
    }

    /**
     * Feeds prompt chunks, oldest generation first, about one chunk's worth of tokens per step (at
     * least one chunk): on a split-invariant model as {@link PrefillChunk}s of the next decoding pass
     * (one per generation), else in passes of their own now. A generation whose prompt is in
     * samples its first token and joins decoding, and so do those that wait for its prefill of the
     * same prompt, each with a copy of its cache.
     */
    private void prefill() {
        int budget = prefillChunk;
        for (BatchedGeneration g : new ArrayList<>(prefilling)) {
            if (g.leader != null) continue;
            try {
                float[] logits = null;
                while (g.prefilled < g.prompt.length) {
                    int n = Math.min(prefillChunk, g.prompt.length - g.prefilled);
                    if (n > budget) return;
                    if (g.prefilled == 0) {
                        g.prefillStart = System.nanoTime();
                        // the copied prefix costs no budget: the rest is charged when it is computed
                        if (splitInvariant && (g.prefilled = sharePrefix(g)) > 0) continue;
                    }
                    budget -= n;
                    if (splitInvariant) {
                        chunks.add(new PrefillChunk(model, g, n));
                        promptTokensInSteps.addAndGet(n);
                        break;
                    }
                    logits = model.forward(g.cache, Arrays.copyOfRange(g.prompt, g.prefilled, g.prefilled + n), g.prefillExit, false);
                    g.prefilled += n;
                }
                if (g.prefilled == g.prompt.length) prefilled(g, logits);
            } catch (RuntimeException e) {
                failPrefill(g, e);
            }
        }
    }

    /** g's prompt is in ({@code logits}: its last position's): it starts decoding, and so do its followers. */
    private void prefilled(BatchedGeneration g, float[] logits) {
        g.prefillEnd = System.nanoTime();
        prefilling.remove(g);
        start(g, logits);
        for (BatchedGeneration f : g.followers) {
            prefilling.remove(f);
            f.cache.copyPrefix(g.cache, g.prompt.length);
            f.prefillStart = g.prefillStart;
            f.prefillEnd = g.prefillEnd;
            start(f, logits);
        }
    }

    private void failPrefill(BatchedGeneration g, RuntimeException e) {
        prefilling.remove(g);
        g.fail(e);
        for (BatchedGeneration f : g.followers) {
            prefilling.remove(f);
            f.fail(e);
        }
    }

    /** Shortest prefix worth copying: below it a copy saves less than the search for it costs. */
    static final int MIN_SHARED_PREFIX = 8;

    /**
     * Copies into g's cache the longest prefix of its prompt that another generation's prompt
     * begins with and whose keys and values that generation's cache holds in every layer g's
     * prefill needs; returns its length (0: none of at least {@link #MIN_SHARED_PREFIX}). The last
     * prompt token is always left to compute: its logits give the first token.
     */
    private int sharePrefix(BatchedGeneration g) {
        BatchedGeneration best = null;
        int longest = MIN_SHARED_PREFIX - 1;
        for (Collection<BatchedGeneration> group : List.<Collection<BatchedGeneration>>of(decoding, prefilling)) {
            for (BatchedGeneration other : group) {
                if (other == g || other.cancelled) continue;
                int n = 0, most = Math.min(g.prompt.length - 1, Math.min(other.prompt.length, other.cache.length()));
                for (int l = 0; l < g.prefillExit; l++) most = Math.min(most, other.cache.filled(l));
                while (n < most && g.prompt[n] == other.prompt[n]) n++;
                if (n > longest) {
                    longest = n;
                    best = other;
                }
            }
        }
        if (best == null) return 0;
        g.cache.copyPrefix(best.cache, longest);
        sharedPrefixTokens.addAndGet(longest);
        return longest;
    }

    /** After its prompt: the first token, then decoding unless that was all. */
    private void start(BatchedGeneration g, float[] logits) {
        if (g.start(logits)) g.answer();
        else decoding.add(g);
    }

    /**
     * One step of every decoding generation and the prompt chunks planned for it, in one pass; the
     * generations that are over leave, and those whose prompt a chunk ended start decoding.
     */
    private void decode() {
        if (decoding.isEmpty() && chunks.isEmpty()) return;
        long start = System.nanoTime();
        try {
            for (BatchedGeneration g : decoding) g.prepare();
            List<StepSequence> pass = new ArrayList<>(decoding);
            pass.addAll(chunks);
            model.step(pass);
        } catch (RuntimeException e) {
            for (BatchedGeneration g : decoding) g.fail(e);
            decoding.clear();
            for (PrefillChunk c : chunks) failPrefill(c.generation, e);
            chunks.clear();
            return;
        }
        long stepNanos = System.nanoTime() - start;
        decoding.removeIf(g -> {
            boolean over;
            try {
                over = g.finish(stepNanos);
            } catch (RuntimeException e) { // e.g. an output constraint that no token meets: that generation fails, the rest go on
                g.fail(e);
                return true;
            }
            if (over) g.answer();
            return over;
        });
        for (PrefillChunk c : chunks) { // after the decoders' tokens: the generations these start have had no step yet
            BatchedGeneration g = c.generation;
            g.prefilled = c.end();
            try {
                if (g.prefilled == g.prompt.length) prefilled(g, c.logits);
            } catch (RuntimeException e) {
                failPrefill(g, e);
            }
        }
        chunks.clear();
    }
}
