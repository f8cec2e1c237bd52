package sortedllama.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import sortedllama.model.LlamaModel;

/**
 * Every format against PyTorch: tiny random models written by tools/reference/make_reference_models.py
 * (src/test/resources/models), logits at every exit and every position of a fixed sequence.
 * Tolerance against the exact float64 reference of the weights as stored (quantized ones
 * dequantized): |java - torch| <= 1e-4 + 1e-4 |torch|, float32 rounding in a different order.
 * Quantized files against the float model they were made from, the error of quantisation itself:
 * mean |difference| / mean |logit| below 0.2% for F16, 3% for Q8_0 and 35% for Q4_0 (random Gaussian
 * weights are Q4_0's worst case).
 */
class ReferenceLogitsTest {
    static final double ABS = 1e-4, REL = 1e-4;
    static JsonNode manifest;

    static Path dir() throws URISyntaxException {
        return Path.of(ReferenceLogitsTest.class.getResource("/models/manifest.json").toURI()).getParent();
    }

    static Stream<Arguments> fixtures() throws Exception {
        manifest = new ObjectMapper().readTree(dir().resolve("manifest.json").toFile());
        Stream.Builder<Arguments> b = Stream.builder();
        for (JsonNode f : manifest.get("fixtures")) b.add(Arguments.of(f.get("name").asText(), f));
        return b.build();
    }

    static float[] readLogits(String file) throws Exception {
        byte[] bytes = Files.readAllBytes(dir().resolve(file));
        float[] out = new float[bytes.length / 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void logitsMatchPyTorchAtEveryExit(String name, JsonNode fixture) throws Exception {
        int[] tokens = new ObjectMapper().convertValue(manifest.get("tokens"), int[].class);
        int layers = manifest.get("layers").asInt(), vocab = manifest.get("vocab").asInt(), T = tokens.length;
        float[] expected = readLogits(fixture.get("logits").asText());
        float[] floatModel = fixture.has("float_reference")
                ? readLogits(fixture.get("float_reference").asText() + ".logits.f32") : null;
        try (ModelFile file = ModelLoader.open(dir().resolve(fixture.get("path").asText()))) {
            LlamaModel model = file.model();
            assertEquals(layers, model.config().nLayers());
            for (int exit = 1; exit <= layers; exit++) {
                float[] logits = model.forward(model.newCache(T), tokens, exit, true);
                int base = (exit - 1) * T * vocab;
                double errSum = 0, magSum = 0;
                for (int i = 0; i < T * vocab; i++) {
                    double want = expected[base + i], got = logits[i];
                    assertTrue(Math.abs(got - want) <= ABS + REL * Math.abs(want),
                            name + " exit " + exit + " position " + i / vocab + " token " + i % vocab + ": " + got + " vs " + want);
                    if (floatModel != null) {
                        errSum += Math.abs(got - floatModel[base + i]);
                        magSum += Math.abs(floatModel[base + i]);
                    }
                }
                if (floatModel != null) {
                    double relative = errSum / magSum;
                    double bound = name.contains("q4_0") ? 0.35 : name.contains("q8_0") ? 0.03 : 0.002;
                    System.out.printf("%s exit %d: mean |logit error| vs float model = %.4f of mean |logit|%n", name, exit, relative);
                    assertTrue(relative < bound, name + " exit " + exit + ": quantisation error " + relative + " >= " + bound);
                }
            }
        }
    }
}
