package sortedllama.io;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sortedllama.BadInputException;

/** Broken files give one clear error naming the file (and the tensor), never an index error or garbage. */
class BadFilesTest {
    @TempDir Path dir;

    static Path fixture(String name) throws Exception {
        return ReferenceLogitsTest.dir().resolve(name);
    }

    BadInputException failsToLoad(Path p) {
        var e = assertThrows(BadInputException.class, () -> ModelLoader.open(p).close());
        assertTrue(e.getMessage().contains(p.getFileName().toString()), "message names the file: " + e.getMessage());
        return e;
    }

    Path truncated(String name, double fraction) throws Exception {
        byte[] all = Files.readAllBytes(fixture(name));
        Path p = dir.resolve("cut-" + name);
        Files.write(p, Arrays.copyOf(all, (int) (all.length * fraction)));
        return p;
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.00001, 0.001, 0.3, 0.999})
    void truncatedGguf(double fraction) throws Exception {
        failsToLoad(truncated("tied_gguf_q8_0.gguf", fraction));
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.00001, 0.3, 0.999})
    void truncatedLlama2c(double fraction) throws Exception {
        failsToLoad(truncated("tied_v1.bin", fraction));
        failsToLoad(truncated("tied_legacy.bin", fraction));
    }

    @Test
    void truncatedSafetensors() throws Exception {
        Path copy = Files.createDirectories(dir.resolve("hf"));
        Files.copy(fixture("tied_hf_f32/config.json"), copy.resolve("config.json"));
        byte[] all = Files.readAllBytes(fixture("tied_hf_f32/model.safetensors"));
        Files.write(copy.resolve("model.safetensors"), Arrays.copyOf(all, all.length - 1000));
        var e = assertThrows(BadInputException.class, () -> ModelLoader.open(copy).close());
        assertTrue(e.getMessage().contains("model.safetensors") && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void wrongMagic() throws Exception {
        byte[] all = Files.readAllBytes(fixture("tied_gguf_f32.gguf"));
        all[3] = 'X';
        Path p = dir.resolve("bad-magic.gguf");
        Files.write(p, all);
        failsToLoad(p);
    }

    @Test
    void unknownTensorTypeIsNamed() throws Exception {
        byte[] all = Files.readAllBytes(fixture("tied_gguf_q8_0.gguf"));
        // the first Q8_0 tensor's type id (8) sits after its name, dimension count and two dimensions
        String name = "blk.0.attn_q.weight";
        int at = indexOf(all, name.getBytes(StandardCharsets.UTF_8)) + name.length() + 4 + 16;
        all[at] = 12; // Q4_K
        Path p = dir.resolve("ktype.gguf");
        Files.write(p, all);
        var e = failsToLoad(p);
        assertTrue(e.getMessage().contains(name) && e.getMessage().contains("ggml type 12"), e.getMessage());
    }

    @Test
    void missingTensorIsNamed() throws Exception {
        byte[] all = Files.readAllBytes(fixture("tied_gguf_f32.gguf"));
        byte[] name = "blk.2.ffn_up.weight".getBytes(StandardCharsets.UTF_8);
        all[indexOf(all, name) + 6] = 'X'; // blk.2.ffn_Xp.weight: unknown to the model
        Path p = dir.resolve("missing.gguf");
        Files.write(p, all);
        var e = assertThrows(BadInputException.class, () -> {
            try (ModelFile f = ModelLoader.open(p)) {
                f.weights();
            }
        });
        assertTrue(e.getMessage().contains("missing tensor blk.2.ffn_up.weight"), e.getMessage());
    }

    @Test
    void shapeThatDoesNotMatchTheConfig() throws Exception {
        Path copy = Files.createDirectories(dir.resolve("hf"));
        Files.copy(fixture("tied_hf_f32/model.safetensors"), copy.resolve("model.safetensors"));
        String config = Files.readString(fixture("tied_hf_f32/config.json")).replace("\"intermediate_size\": 96", "\"intermediate_size\": 128");
        Files.writeString(copy.resolve("config.json"), config);
        var e = assertThrows(BadInputException.class, () -> {
            try (ModelFile f = ModelLoader.open(copy)) {
                f.weights();
            }
        });
        assertTrue(e.getMessage().contains("model.layers.0.mlp.gate_proj.weight has shape [96, 64]"), e.getMessage());
    }

    @Test
    void malformedConfigJson() throws Exception {
        Path copy = Files.createDirectories(dir.resolve("hf"));
        Files.copy(fixture("tied_hf_f32/model.safetensors"), copy.resolve("model.safetensors"));
        Files.writeString(copy.resolve("config.json"), "{\"hidden_size\": 64,");
        var e = assertThrows(BadInputException.class, () -> ModelLoader.open(copy).close());
        assertTrue(e.getMessage().contains("config.json: malformed JSON"), e.getMessage());
    }

    @Test
    void notAModelAtAll() throws IOException {
        Path p = dir.resolve("notes.txt");
        Files.writeString(p, "hello");
        failsToLoad(p);
        failsToLoad(dir.resolve("does-not-exist.bin"));
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) if (haystack[i + j] != needle[j]) continue outer;
            return i;
        }
        throw new AssertionError("not found");
    }
}
