package sortedllama.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaModel;
import sortedllama.model.TestModels;
import sortedllama.tensor.DType;

/** Generations in the batch produce what they produce alone, whatever runs beside them. */
class ContinuousBatcherTest {
    static final LlamaConfig C = TestModels.tinyConfig(4, 61, 128);
    static final LlamaModel MODEL = TestModels.random(C, 9, 4f);

    /** One request: prompt, how it decodes, token limit, and a sampler made fresh for each run. */
    record Job(int[] prompt, DecodePlan plan, int maxTokens, long seed, float temperature) {
        Sampler sampler() {
            return temperature == 0 ? Sampler.greedy() : new Sampler(temperature, 0, 1, seed);
        }

        int exit() {
            return plan.exitLayer();
        }

        Generator.Result alone() {
            return plan.generate(MODEL, new SpeculationMemory(), prompt, maxTokens, sampler(), -1, null);
        }

        Generator.Result in(ContinuousBatcher batcher) {
            return batcher.generate(prompt, maxTokens, plan, sampler(), -1, -1, (token, logprobs) -> {});
        }
    }

    static int[] prompt(int i) {
        int[] prompt = new int[2 + (i * 5) % 13];
        for (int t = 0; t < prompt.length; t++) prompt[t] = (i * 17 + t * 7 + 3) % C.vocabSize();
        return prompt;
    }

    static List<Job> mixedJobs(int count, float temperature) {
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < count; i++) jobs.add(new Job(prompt(i), DecodePlan.fixedExit(1 + i % C.nLayers(), C), 20 + 3 * i, 100 + i, temperature));
        return jobs;
    }

    /** Thresholds at exits 1..3 that send this model's tokens out at every depth. */
    static DecodePlan adaptive(AdaptiveGenerator.KvFill fill) {
        var thresholds = new TreeMap<Integer, Float>(Map.of(1, 0.5f, 2, 0.4f, 3, 0.35f));
        return new DecodePlan(DecodePlan.Mode.ADAPTIVE, C.nLayers(), 0, 0, false, new ExitPolicy(thresholds), fill, false);
    }

    static DecodePlan speculative(int draftExit, int draftTokens, boolean heuristic) {
        var plan = new DecodePlan(DecodePlan.Mode.SPECULATIVE, C.nLayers(), draftExit, draftTokens, false, null,
                AdaptiveGenerator.KvFill.RECOMPUTE, false);
        return heuristic ? plan.withHeuristicDraft() : plan;
    }

    /** Every mode and depth: full, an exit, adaptive both ways, speculative from two draft exits. */
    static List<Job> everyModeJobs(int count, float temperature) {
        DecodePlan[] plans = {DecodePlan.fixedExit(C.nLayers(), C), DecodePlan.fixedExit(2, C), adaptive(AdaptiveGenerator.KvFill.RECOMPUTE),
            speculative(1, 3, false), adaptive(AdaptiveGenerator.KvFill.PROPAGATE), speculative(2, 5, true)};
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < count; i++) jobs.add(new Job(prompt(i), plans[i % plans.length], 30 + 3 * i, 100 + i, temperature));
        return jobs;
    }

    /** Runs the jobs at once, each on its own thread, released together; their results in job order. */
    static List<Generator.Result> runTogether(ContinuousBatcher batcher, List<Job> jobs) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(jobs.size());
        try {
            var start = new CountDownLatch(1);
            List<Future<Generator.Result>> futures = new ArrayList<>();
            for (Job j : jobs) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return j.in(batcher);
                }));
            }
            start.countDown();
            List<Generator.Result> out = new ArrayList<>();
            for (Future<Generator.Result> f : futures) out.add(f.get());
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void greedyOutputAtMixedExitsEqualsTheGeneratorsAlone() throws Exception {
        List<Job> jobs = mixedJobs(10, 0);
        try (var batcher = new ContinuousBatcher(MODEL, 16, 64)) {
            List<Generator.Result> batched = runTogether(batcher, jobs);
            for (int i = 0; i < jobs.size(); i++) {
                Job j = jobs.get(i);
                assertArrayEquals(j.alone().tokens(), batched.get(i).tokens(), "job " + i + " at exit " + j.exit());
            }
        }
    }

    /**
     * Adaptive and speculative generations beside fixed exits: each gets the tokens (and adaptive
     * ones the depths) that its mode's generator gives it alone, greedy and with seeded sampling
     * (speculation alone then drafts as many tokens each round as in the batch). The thresholds
     * make adaptive tokens leave at every depth, with skipped layers caught up later in the pass,
     * and speculation has drafts both accepted and rejected, so each path is taken.
     */
    @ParameterizedTest(name = "temperature {0}")
    @ValueSource(floats = {0f, 0.9f})
    void everyModeGetsInTheBatchWhatItGetsAlone(float temperature) throws Exception {
        List<Job> jobs = everyModeJobs(12, temperature);
        Set<Integer> adaptiveDepths = new TreeSet<>();
        double accepted = 0, rounds = 0;
        try (var batcher = new ContinuousBatcher(MODEL, 16, 64)) {
            List<Generator.Result> batched = runTogether(batcher, jobs);
            for (int i = 0; i < jobs.size(); i++) {
                Job j = jobs.get(i);
                Generator.Result alone = j.alone(), together = batched.get(i);
                assertArrayEquals(alone.tokens(), together.tokens(), "job " + i + ", " + j.plan().mode());
                assertArrayEquals(alone.depths(), together.depths(), "job " + i + ", " + j.plan().mode());
                if (j.plan().mode() == DecodePlan.Mode.ADAPTIVE) for (int d : together.depths()) adaptiveDepths.add(d);
                if (j.plan().mode() == DecodePlan.Mode.SPECULATIVE && !Double.isNaN(together.acceptance())) {
                    accepted += together.acceptance(); // NaN: greedy, the planner chose plain decoding throughout
                    rounds++;
                }
            }
        }
        assertEquals(Set.of(1, 2, 3, 4), adaptiveDepths, "adaptive tokens should leave at every depth");
        assertTrue(rounds > 0 && accepted / rounds > 0.05 && accepted / rounds < 0.95, "drafts accepted and rejected: " + accepted / rounds);
    }

    /** Each token's log probabilities come from the logits that chose it: speculation's are full depth's, bit for bit. */
    @Test
    void speculativeLogprobsAreFullDepths() {
        int[] prompt = prompt(3);
        try (var batcher = new ContinuousBatcher(MODEL, 4, 64)) {
            List<TokenLogprobs> full = new ArrayList<>(), speculated = new ArrayList<>(), adaptive = new ArrayList<>();
            batcher.generate(prompt, 40, DecodePlan.fixedExit(C.nLayers(), C), Sampler.greedy(), -1, 5, (t, lp) -> full.add(lp));
            batcher.generate(prompt, 40, speculative(1, 4, false), Sampler.greedy(), -1, 5, (t, lp) -> speculated.add(lp));
            var result = batcher.generate(prompt, 40, adaptive(AdaptiveGenerator.KvFill.RECOMPUTE), Sampler.greedy(), -1, 5,
                    (t, lp) -> adaptive.add(lp));
            assertEquals(40, full.size());
            for (int i = 0; i < full.size(); i++) {
                assertEquals(full.get(i).token(), speculated.get(i).token(), "token " + i);
                assertEquals(full.get(i).logprob(), speculated.get(i).logprob(), "token " + i);
                assertArrayEquals(full.get(i).topIds(), speculated.get(i).topIds(), "token " + i);
                assertArrayEquals(full.get(i).topLogprobs(), speculated.get(i).topLogprobs(), "token " + i);
            }
            assertEquals(result.tokens().length, adaptive.size());
            for (TokenLogprobs lp : adaptive) {
                assertEquals(lp.token(), lp.topIds()[0], "greedy picks the most probable token at its exit");
                assertEquals(lp.logprob(), lp.topLogprobs()[0]);
            }
        }
    }

    @Test
    void chunkedPrefillAndSeededSamplingGiveTheSameTokensAloneAndBatched() throws Exception {
        List<Job> jobs = mixedJobs(8, 0.9f);
        // chunks of 3 split every prompt but the shortest; a batch of 3 makes later jobs wait for a place
        try (var batcher = new ContinuousBatcher(MODEL, 3, 3)) {
            List<Generator.Result> batched = runTogether(batcher, jobs);
            for (int i = 0; i < jobs.size(); i++) {
                Job j = jobs.get(i);
                int[] alone = j.in(batcher).tokens();
                assertEquals(j.maxTokens, alone.length);
                assertArrayEquals(alone, batched.get(i).tokens(), "job " + i + " at exit " + j.exit());
            }
        }
    }

    /**
     * Choices of one prompt share its prefill when they meet in the batch; each still samples as it would alone,
     * also where the prompt's chunks run in the decoding passes (Q8_0 on AMX).
     */
    @Test
    void generationsOfOnePromptGetWhatTheyGetAlone() throws Exception {
        int[] prompt = {1, 4, 9, 16, 25, 36, 49, 3, 8, 13, 21, 34};
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < 6; i++) jobs.add(new Job(prompt, DecodePlan.fixedExit(i < 3 ? 4 : 2, C), 15, 500 + i, 0.9f));
        LlamaConfig wide = TestModels.wideConfig(C.nLayers(), C.vocabSize(), 64);
        LlamaModel q8 = TestModels.loaded(wide, 9, 4f, DType.Q8_0);
        for (LlamaModel model : q8.splitInvariant() ? List.of(MODEL, q8) : List.of(MODEL)) {
            try (var batcher = new ContinuousBatcher(model, 8, 3)) {
                List<Generator.Result> batched = runTogether(batcher, jobs);
                for (int i = 0; i < jobs.size(); i++) {
                    Job j = jobs.get(i);
                    int[] alone = new Generator(model).generate(j.prompt, j.maxTokens, j.exit(), j.sampler(), -1, null).tokens();
                    assertArrayEquals(alone, batched.get(i).tokens(), "job " + i + ", splitInvariant " + model.splitInvariant());
                }
                assertEquals(model == q8, batcher.promptTokensInSteps() > 0, "prompt chunks in the decoding passes");
            }
        }
    }

    /**
     * Prompts that begin alike (a template) copy the prefix from one another's caches where the
     * model's keys and values do not depend on how positions are split into passes (Q8_0 on AMX),
     * computing the rest in the decoding passes, and still get, bit for bit, what they get alone; a
     * float32 model copies nothing and prefills in passes of its own.
     */
    @Test
    void promptsThatBeginAlikeShareTheirPrefixAndGetWhatTheyGetAlone() throws Exception {
        LlamaConfig wide = TestModels.wideConfig(C.nLayers(), C.vocabSize(), 64); // rows in whole AMX tiles
        LlamaModel f32 = TestModels.random(wide, 9, 4f), q8 = TestModels.loaded(wide, 9, 4f, DType.Q8_0);
        Assumptions.assumeTrue(q8.splitInvariant(), "Q8_0 products have the per-row bits at every count only on AMX");
        assertFalse(f32.splitInvariant(), "float32 prefill is sgemm's, in its own order");
        int[] template = new int[21];
        for (int t = 0; t < template.length; t++) template[t] = (t * 11 + 5) % C.vocabSize();
        DecodePlan[] plans = {DecodePlan.fixedExit(C.nLayers(), wide), adaptive(AdaptiveGenerator.KvFill.RECOMPUTE),
            speculative(2, 3, false), DecodePlan.fixedExit(2, wide)};
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            int[] prompt = Arrays.copyOf(template, template.length + 1 + i % 5);
            for (int t = template.length; t < prompt.length; t++) prompt[t] = (i * 13 + t) % C.vocabSize();
            // 40 tokens each: the jobs arrive over a few ms on a busy machine, and one that comes after all that hold
            // the template have left computes it itself (with 12, three of eight did once in a full test run)
            jobs.add(new Job(prompt, plans[i % plans.length], 40, 100 + i, 0));
        }
        // in the batch first, and decoding while the others come: a prompt prefilled to exit 2 only, whose
        // cache deeper prompts must not take their prefix from
        int[] shallowPrompt = Arrays.copyOf(template, template.length + 3);
        Job shallow = new Job(shallowPrompt, DecodePlan.fixedExit(2, wide), 60, 99, 0);
        for (LlamaModel model : List.of(q8, f32)) {
            try (var batcher = new ContinuousBatcher(model, 9, 4)) {
                var decoding = new CountDownLatch(1);
                var first = Executors.newSingleThreadExecutor().submit(() -> batcher.generate(shallow.prompt, shallow.maxTokens,
                        shallow.plan, shallow.sampler(), -1, -1, (token, logprobs) -> decoding.countDown()));
                decoding.await();
                List<Generator.Result> batched = runTogether(batcher, jobs);
                assertArrayEquals(alone(model, shallow), first.get().tokens(), "the shallow job");
                for (int i = 0; i < jobs.size(); i++) {
                    Job j = jobs.get(i);
                    assertArrayEquals(alone(model, j), batched.get(i).tokens(), "job " + i + " (" + j.plan.mode() + "), splitInvariant "
                            + model.splitInvariant());
                }
                // every prompt finds the template in a cache and computes the rest of its prompt in the decoding
                // passes, but the first one prefilled through every layer and, where the shallow job
                // was over before the others came (seen once in a full test run, the machine busy), the first
                // one prefilled to exit 2
                if (model == q8) {
                    assertTrue(batcher.sharedPrefixTokens() >= (jobs.size() - 2) * template.length, "shared " + batcher.sharedPrefixTokens());
                    assertTrue(batcher.promptTokensInSteps() >= shallowPrompt.length, "in steps " + batcher.promptTokensInSteps());
                } else {
                    assertEquals(0, batcher.sharedPrefixTokens());
                    assertEquals(0, batcher.promptTokensInSteps());
                }
            }
        }
    }

    /**
     * With keys and values rounded to 16 or 8 bits, a generation still gets in the batch what it gets
     * alone, in every mode: the rounding depends on a position's values, never on what runs beside it.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DType.class, names = {"BF16", "Q8_0"})
    void roundedCachesGiveInTheBatchWhatTheyGiveAlone(DType type) throws Exception {
        LlamaConfig wide = TestModels.wideConfig(C.nLayers(), C.vocabSize(), 128);
        LlamaModel model = TestModels.random(wide, 9, 4f).withKvCache(type);
        DecodePlan[] plans = {DecodePlan.fixedExit(C.nLayers(), wide), DecodePlan.fixedExit(2, wide),
            adaptive(AdaptiveGenerator.KvFill.RECOMPUTE), speculative(1, 3, false)};
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < 8; i++) jobs.add(new Job(prompt(i), plans[i % plans.length], 24 + 3 * i, 100 + i, 0));
        try (var batcher = new ContinuousBatcher(model, 16, 4)) {
            List<Generator.Result> batched = runTogether(batcher, jobs);
            for (int i = 0; i < jobs.size(); i++) {
                Job j = jobs.get(i);
                assertArrayEquals(alone(model, j), batched.get(i).tokens(), "job " + i + " (" + j.plan.mode() + "), " + type);
            }
        }
    }

    private static int[] alone(LlamaModel model, Job j) {
        return j.plan.generate(model, new SpeculationMemory(), j.prompt, j.maxTokens, j.sampler(), -1, null).tokens();
    }

    @Test
    void aListenerThatThrowsEndsItsGenerationAndTheOthersGoOn() throws Exception {
        try (var batcher = new ContinuousBatcher(MODEL, 4, 64)) {
            int[] prompt = {1, 5, 9};
            var stopped = assertThrows(IllegalStateException.class, () -> batcher.generate(prompt, 50, 2, Sampler.greedy(), -1,
                    token -> { throw new IllegalStateException("client left"); }));
            assertEquals("client left", stopped.getMessage());
            int[] alone = new Generator(MODEL).generate(prompt, 30, 3, Sampler.greedy(), -1, null).tokens();
            assertArrayEquals(alone, batcher.generate(prompt, 30, 3, Sampler.greedy(), -1, null).tokens());
        }
    }

    /** Allows one token only, and fails once it has taken {@code failAfter} tokens (-1: never). */
    record OnlyToken(int token, int failAfter, int[] taken) implements OutputConstraint {
        OnlyToken(int token, int failAfter) {
            this(token, failAfter, new int[1]);
        }

        @Override
        public float[] restrict(float[] logits, boolean greedy) {
            if (taken[0] == failAfter) throw new IllegalStateException("no token allowed");
            float[] masked = new float[logits.length];
            Arrays.fill(masked, Float.NEGATIVE_INFINITY);
            masked[token] = logits[token];
            return masked;
        }

        @Override
        public void accept(int t) {
            assertEquals(token, t, "only the allowed token is taken");
            taken[0]++;
        }

        @Override
        public OutputConstraint copy() {
            return new OnlyToken(token, failAfter, taken.clone());
        }
    }

    @Test
    void aConstraintMasksEveryModeAndOneThatFailsEndsOnlyItsGeneration() {
        var all = ExitSet.all(C.nLayers());
        List<DecodePlan> plans = List.of(DecodePlan.fixedExit(C.nLayers(), C), DecodePlan.fixedExit(2, C),
                DecodePlan.of("adaptive", null, null, null, null, true, "0.5", null, all, C),
                DecodePlan.of("speculative", null, null, 1, 3, false, null, null, all, C));
        try (var batcher = new ContinuousBatcher(MODEL, 4, 64)) {
            int[] prompt = {1, 5, 9};
            int[] fives = new int[12];
            Arrays.fill(fives, 5);
            for (DecodePlan plan : plans) {
                for (Sampler sampler : List.of(Sampler.greedy(), new Sampler(1f, 0, 1f, 3))) {
                    var r = batcher.generate(prompt, 12, plan, sampler, -1, -1, new OnlyToken(5, -1), (t, lp) -> {});
                    assertArrayEquals(fives, r.tokens(), plan.mode() + (sampler.isGreedy() ? " greedy" : " sampled"));
                }
            }
            var failed = assertThrows(IllegalStateException.class, () -> batcher.generate(prompt, 12, plans.getFirst(), Sampler.greedy(), -1,
                    -1, new OnlyToken(5, 3), (t, lp) -> {}));
            assertEquals("no token allowed", failed.getMessage());
            int[] alone = new Generator(MODEL).generate(prompt, 10, 4, Sampler.greedy(), -1, null).tokens();
            assertArrayEquals(alone, batcher.generate(prompt, 10, 4, Sampler.greedy(), -1, null).tokens(), "the batcher goes on");
        }
    }

    @Test
    void generationStopsAtEosAndAtTheEndOfTheContext() {
        try (var batcher = new ContinuousBatcher(MODEL, 4, 64)) {
            int[] prompt = new int[C.contextLength() - 5];
            Arrays.fill(prompt, 7);
            var full = batcher.generate(prompt, 100, 4, Sampler.greedy(), -1, null);
            assertEquals(Generator.StopReason.CONTEXT_FULL, full.stop());
            assertArrayEquals(new Generator(MODEL).generate(prompt, 100, 4, Sampler.greedy(), -1, null).tokens(), full.tokens());

            int[] shortPrompt = {1, 2, 3};
            int[] tokens = new Generator(MODEL).generate(shortPrompt, 10, 4, Sampler.greedy(), -1, null).tokens();
            int eosAt = 0;
            while (tokens[eosAt] != tokens[3]) eosAt++; // the first time that token comes
            var eos = batcher.generate(shortPrompt, 10, 4, Sampler.greedy(), tokens[3], null);
            assertEquals(Generator.StopReason.EOS, eos.stop());
            assertArrayEquals(Arrays.copyOf(tokens, eosAt + 1), eos.tokens());
        }
    }
}
