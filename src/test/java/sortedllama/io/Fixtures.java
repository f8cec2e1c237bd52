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
import org.junit.jupiter.params.provider.Arguments;

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
}
