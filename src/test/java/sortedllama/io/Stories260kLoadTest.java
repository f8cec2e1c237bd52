package sortedllama.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sortedllama.SharedData;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaWeights;
import sortedllama.model.RopeLayout;
import sortedllama.tensor.Dequantize;

/** A real llama2.c checkpoint (../shared, skipped when absent): header, shared head, and a legacy write-back. */
class Stories260kLoadTest {
    @TempDir Path dir;

    @Test
    void loadsWithTheHeadersConfig() {
        try (ModelFile file = ModelLoader.open(SharedData.stories260k())) {
            LlamaConfig c = file.config();
            assertEquals(new LlamaConfig(64, 172, 5, 8, 4, 8, 512, 512, 1e-5f, 10000f, null, RopeLayout.INTERLEAVED, 1, 2), c);
            LlamaWeights w = file.weights();
            assertTrue(w.tiedOutput(), "stories260K shares its classifier with the embedding");
            assertEquals("llama2.c legacy float32", file.format());
            assertEquals("w2[4]", w.layers[4].down().name());
        }
    }

    @Test
    void legacyWriterReproducesTheWeights() {
        Path copy = dir.resolve("copy.bin");
        try (ModelFile file = ModelLoader.open(SharedData.stories260k())) {
            Llama2cWriter.write(copy, file.weights(), 0);
            try (ModelFile back = ModelLoader.open(copy)) {
                assertEquals(file.config(), back.config());
                file.tensors().forEach((name, t) -> assertEquals(-1, t.data().mismatch(back.tensors().get(name).data()), name));
                assertEquals(Dequantize.all(file.tensors().get("output_norm.weight"))[3], back.weights().finalNorm[3]);
            }
        }
    }
}
