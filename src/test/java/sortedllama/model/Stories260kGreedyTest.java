package sortedllama.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sortedllama.SharedData;
import sortedllama.infer.Generator;
import sortedllama.infer.Sampler;
import sortedllama.infer.SpeculationMemory;
import sortedllama.infer.SpeculativeGenerator;
import sortedllama.io.ModelFile;
import sortedllama.io.ModelLoader;

/**
 * The real stories260K checkpoint must decode greedily exactly as llama2.c's reference does
 * (../shared/tools/llama2c_reference.py), at full depth and at every exit layer. Expected ids:
 * src/test/resources/stories260k/greedy_by_exit.txt.
 */
class Stories260kGreedyTest {
    static ModelFile file;
    static LlamaModel model;
    static Map<String, int[]> expected;

    @BeforeAll
    static void load() throws IOException {
        file = ModelLoader.open(SharedData.stories260k());
        model = file.model();
        expected = readExpected();
    }

    @AfterAll
    static void close() {
        if (file != null) file.close();
    }

    static Map<String, int[]> readExpected() throws IOException {
        Map<String, int[]> byKey = new LinkedHashMap<>();
        try (var in = Stories260kGreedyTest.class.getResourceAsStream("/stories260k/greedy_by_exit.txt")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] kv = line.split(":", 2);
                byKey.put(kv[0].strip(), Arrays.stream(kv[1].strip().split(" ")).mapToInt(Integer::parseInt).toArray());
            }
        }
        return byKey;
    }

    @ParameterizedTest(name = "exit layer {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5})
    void greedyDecodingMatchesReferenceAtEveryExit(int exit) {
        int[] want = expected.get(String.valueOf(exit));
        var result = new Generator(model).generate(new int[] {1}, want.length, exit, Sampler.greedy(), -1, null);
        assertArrayEquals(want, result.tokens());
    }

    @Test
    void fourHundredStepsAtFullDepth() {
        int[] want = expected.get("full400");
        var result = new Generator(model).generate(new int[] {1}, want.length, 5, Sampler.greedy(), -1, null);
        assertArrayEquals(want, result.tokens());
    }

    @Test
    void speculativeGreedyEqualsFullDepthForEveryDraftExit() {
        int[] want = Arrays.copyOf(expected.get("full400"), 120);
        for (int draftExit = 1; draftExit <= 4; draftExit++) {
            for (int g : new int[] {2, 5}) {
                var result = new SpeculativeGenerator(model, draftExit, g, true, false, new SpeculationMemory())
                        .generate(new int[] {1}, want.length, Sampler.greedy(), -1, null);
                assertArrayEquals(want, result.tokens(), "draft exit " + draftExit + ", G " + g);
            }
        }
    }

    @Test
    void speculativeGreedyStopsAtTheContextLimitAndAtEos() {
        var full = new Generator(model).generate(new int[] {1}, 600, 5, Sampler.greedy(), -1, null);
        assertEquals(Generator.StopReason.CONTEXT_FULL, full.stop());
        var spec = new SpeculativeGenerator(model, 3, 4, true, false, new SpeculationMemory())
                .generate(new int[] {1}, 600, Sampler.greedy(), -1, null);
        assertEquals(Generator.StopReason.CONTEXT_FULL, spec.stop());
        assertArrayEquals(full.tokens(), spec.tokens());
        // token 13 first appears at step 20 of the reference: as EOS it must end both there
        var eos = new SpeculativeGenerator(model, 2, 6, true, false, new SpeculationMemory())
                .generate(new int[] {1}, 100, Sampler.greedy(), 13, null);
        assertEquals(Generator.StopReason.EOS, eos.stop());
        assertArrayEquals(Arrays.copyOf(expected.get("5"), 20), eos.tokens());
    }

    @Test
    void batchedPrefillAgreesWithTokenByTokenDecoding() {
        // feed the reference continuation as one prompt: every position's argmax must be the next token
        int[] want = expected.get("5");
        int[] sequence = new int[want.length];
        sequence[0] = 1;
        System.arraycopy(want, 0, sequence, 1, want.length - 1);
        int vocab = model.config().vocabSize();
        float[] logits = model.forward(model.newCache(sequence.length), sequence, 5, true);
        for (int t = 0; t < sequence.length; t++) {
            assertEquals(want[t], Sampler.argmax(logits, t * vocab, vocab), "position " + t);
        }
    }
}
