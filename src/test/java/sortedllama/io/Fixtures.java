package sortedllama.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.params.provider.Arguments;
import sortedllama.model.LlamaModel;
import sortedllama.tensor.DType;

/**
 * The reference models in src/test/resources/models, written by
 * tools/reference/make_reference_models.py, and their manifest.json.
 */
final class Fixtures {
    private Fixtures() {}

    static Path dir() {
        try {
            return Path.of(Fixtures.class.getResource("/models/manifest.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path path(String relative) {
        return dir().resolve(relative);
    }

    static JsonNode manifest() {
        try {
            return new ObjectMapper().readTree(dir().resolve("manifest.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The manifest's entry for one fixture. */
    static JsonNode fixture(String name) {
        for (JsonNode f : manifest().get("fixtures")) if (f.get("name").asText().equals(name)) return f;
        throw new IllegalArgumentException("no fixture " + name);
    }

    /** (name, manifest entry) for every fixture, for parameterized tests. */
    static List<Arguments> all() {
        List<Arguments> out = new ArrayList<>();
        for (JsonNode f : manifest().get("fixtures")) out.add(Arguments.of(f.get("name").asText(), f));
        return out;
    }

    static int[] tokens(JsonNode fixture) {
        return fixture.get("tokens").valueStream().mapToInt(JsonNode::asInt).toArray();
    }

    /** A little-endian float32 file: [exits][tokens][vocab] logits. */
    static float[] floats(String file) {
        try {
            byte[] bytes = Files.readAllBytes(dir().resolve(file));
            float[] out = new float[bytes.length / 4];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Mean |logit error| / mean |logit| that 8-bit input blocks may add on these tiny random models (measured: 0.008-0.015). */
    static final double INPUT_QUANTIZATION_MEAN_REL = 0.03;

    /**
     * Logits against the float64 reference: each within abs + rel |want|; or, for quantized weights,
     * which multiply inputs rounded to 8-bit blocks (as llama.cpp's do: sortedllama.tensor.ActivationBlocks),
     * the mean error within {@link #INPUT_QUANTIZATION_MEAN_REL} of the mean logit.
     */
    static void assertLogitsClose(String what, LlamaModel model, float[] expected, int base, float[] logits,
                                  int vocab, double abs, double rel) {
        DType type = model.weights().layers[0].wq().type();
        boolean quantizedInputs = type.isQuantized();
        double errSum = 0, magSum = 0;
        for (int i = 0; i < logits.length; i++) {
            double want = expected[base + i], got = logits[i];
            errSum += Math.abs(got - want);
            magSum += Math.abs(want);
            if (!quantizedInputs) {
                Assertions.assertTrue(Math.abs(got - want) <= abs + rel * Math.abs(want),
                        what + " position " + i / vocab + " token " + i % vocab + ": " + got + " vs " + want);
            }
        }
        if (quantizedInputs) {
            double relative = errSum / magSum;
            System.out.printf("%s: mean |logit error| vs the float-input reference = %.4f of mean |logit|%n", what, relative);
            Assertions.assertTrue(relative < INPUT_QUANTIZATION_MEAN_REL, what + ": input quantization error " + relative);
        }
    }
}
