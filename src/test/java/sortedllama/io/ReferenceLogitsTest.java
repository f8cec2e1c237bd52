package sortedllama.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import sortedllama.model.LlamaModel;

/**
 * Every format against PyTorch: tiny random models written by tools/reference/make_reference_models.py
 * (src/test/resources/models), logits at every exit and every position of a fixed sequence.
 * Tolerance against the exact float64 reference of the weights as stored (quantized ones
 * dequantized), from the manifest: |java - torch| <= abs + rel |torch| (1e-4 each: float32 rounding
 * in a different order); where quantized weights meet inputs quantized to 8 bits, on average
 * ({@link Fixtures#assertLogitsClose}). Quantized files also against the float model they were made from, the error
 * of quantisation itself: mean |difference| / mean |logit| below the manifest's float_mean_rel
 * (0.2% for F16, 3% for Q8_0 and llama2.c's int8, 35% for Q4_0: random Gaussian weights are its worst case).
 */
class ReferenceLogitsTest {
    static List<Arguments> fixtures() {
        return Fixtures.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void logitsMatchPyTorchAtEveryExit(String name, JsonNode fixture) {
        int[] tokens = Fixtures.tokens(fixture);
        int T = tokens.length, vocab = fixture.get("config").get("vocabSize").asInt();
        JsonNode tolerance = fixture.get("tolerance");
        double abs = tolerance.get("abs").asDouble(), rel = tolerance.get("rel").asDouble();
        float[] expected = Fixtures.floats(fixture.get("logits").asText());
        float[] floatModel = fixture.has("float_logits") ? Fixtures.floats(fixture.get("float_logits").asText()) : null;
        try (ModelFile file = ModelLoader.open(Fixtures.path(fixture.get("path").asText()))) {
            LlamaModel model = file.model();
            assertEquals(fixture.get("exits").size(), model.config().nLayers());
            for (JsonNode exitNode : fixture.get("exits")) {
                int exit = exitNode.asInt();
                float[] logits = model.forward(model.newCache(T), tokens, exit, true);
                int base = (exit - 1) * T * vocab;
                Fixtures.assertLogitsClose(name + " exit " + exit, model, expected, base, logits, vocab, abs, rel);
                if (floatModel != null) {
                    double errSum = 0, magSum = 0;
                    for (int i = 0; i < T * vocab; i++) {
                        errSum += Math.abs(logits[i] - floatModel[base + i]);
                        magSum += Math.abs(floatModel[base + i]);
                    }
                    double relative = errSum / magSum, bound = tolerance.get("float_mean_rel").asDouble();
                    System.out.printf("%s exit %d: mean |logit error| vs float model = %.4f of mean |logit|%n", name, exit, relative);
                    assertTrue(relative < bound, name + " exit " + exit + ": quantisation error " + relative + " >= " + bound);
                }
            }
        }
    }
}
