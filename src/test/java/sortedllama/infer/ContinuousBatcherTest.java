package sortedllama.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaModel;
import sortedllama.model.TestModels;

/** Generations in the batch produce what they produce alone, whatever runs beside them. */
class ContinuousBatcherTest {
    static final LlamaConfig C = TestModels.tinyConfig(4, 61, 128);
    static final LlamaModel MODEL = TestModels.random(C, 9, 4f);

    /** One request: prompt, exit, token limit, and a sampler made fresh for each run. */
    record Job(int[] prompt, int exit, int maxTokens, long seed, float temperature) {
        Sampler sampler() {
            return temperature == 0 ? Sampler.greedy() : new Sampler(temperature, 0, 1, seed);
        }
    }

    static List<Job> mixedJobs(int count, float temperature) {
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] prompt = new int[2 + (i * 5) % 13];
            for (int t = 0; t < prompt.length; t++) prompt[t] = (i * 17 + t * 7 + 3) % C.vocabSize();
            jobs.add(new Job(prompt, 1 + i % C.nLayers(), 20 + 3 * i, 100 + i, temperature));
        }
        return jobs;
    }

    /** Runs the jobs at once, each on its own thread, released together; their tokens in job order. */
    static List<int[]> runTogether(ContinuousBatcher batcher, List<Job> jobs) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(jobs.size());
        try {
            var start = new CountDownLatch(1);
            List<Future<int[]>> futures = new ArrayList<>();
            for (Job j : jobs) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return batcher.generate(j.prompt, j.maxTokens, j.exit, j.sampler(), -1, null).tokens();
                }));
            }
            start.countDown();
            List<int[]> out = new ArrayList<>();
            for (Future<int[]> f : futures) out.add(f.get());
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void greedyOutputAtMixedExitsEqualsTheGeneratorsAlone() throws Exception {
        List<Job> jobs = mixedJobs(10, 0);
        try (var batcher = new ContinuousBatcher(MODEL, 16, 64)) {
            List<int[]> batched = runTogether(batcher, jobs);
            for (int i = 0; i < jobs.size(); i++) {
                Job j = jobs.get(i);
                int[] alone = new Generator(MODEL).generate(j.prompt, j.maxTokens, j.exit, j.sampler(), -1, null).tokens();
                assertArrayEquals(alone, batched.get(i), "job " + i + " at exit " + j.exit);
            }
        }
    }

    @Test
    void chunkedPrefillAndSeededSamplingGiveTheSameTokensAloneAndBatched() throws Exception {
        List<Job> jobs = mixedJobs(8, 0.9f);
        // chunks of 3 split every prompt but the shortest; a batch of 3 makes later jobs wait for a place
        try (var batcher = new ContinuousBatcher(MODEL, 3, 3)) {
            List<int[]> batched = runTogether(batcher, jobs);
            for (int i = 0; i < jobs.size(); i++) {
                Job j = jobs.get(i);
                int[] alone = batcher.generate(j.prompt, j.maxTokens, j.exit, j.sampler(), -1, null).tokens();
                assertEquals(j.maxTokens, alone.length);
                assertArrayEquals(alone, batched.get(i), "job " + i + " at exit " + j.exit);
            }
        }
    }

    /** Choices of one prompt share its prefill when they meet in the batch; each still samples as it would alone. */
    @Test
    void generationsOfOnePromptGetWhatTheyGetAlone() throws Exception {
        int[] prompt = {1, 4, 9, 16, 25, 36, 49, 3, 8, 13, 21, 34};
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < 6; i++) jobs.add(new Job(prompt, i < 3 ? 4 : 2, 15, 500 + i, 0.9f));
        try (var batcher = new ContinuousBatcher(MODEL, 8, 3)) {
            List<int[]> batched = runTogether(batcher, jobs);
            for (int i = 0; i < jobs.size(); i++) {
                Job j = jobs.get(i);
                int[] alone = new Generator(MODEL).generate(j.prompt, j.maxTokens, j.exit, j.sampler(), -1, null).tokens();
                assertArrayEquals(alone, batched.get(i), "job " + i);
            }
        }
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
