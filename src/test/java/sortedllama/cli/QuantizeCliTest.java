package sortedllama.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sortedllama.cli.CliTest.Run;
import sortedllama.io.ModelFile;
import sortedllama.io.ModelLoader;
import sortedllama.model.QuantRecipe;
import sortedllama.tensor.DType;
import sortedllama.tensor.Tensor;

/** {@code --quantize} with the K types and llama.cpp's mixes, through load, export and info. */
class QuantizeCliTest {
    private static String llamacpp(String name) throws Exception {
        return Path.of(QuantizeCliTest.class.getResource("/llamacpp/" + name).toURI()).toString();
    }

    private static Map<String, DType> types(ModelFile f) {
        return f.tensors().values().stream().collect(Collectors.toMap(Tensor::name, Tensor::type));
    }

    /** The exported file has llama.cpp's own Q4_K_M types, its file type and quantization version, and runs. */
    @Test
    void exportsQ4KMAsLlamaCppDoes(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("q4km.gguf");
        Run r = CliTest.run("export", "--model", llamacpp("F32.gguf"), "--format", "gguf", "--quantize", "q4_k_m", "--out", out.toString());
        assertEquals(0, r.status(), r.err());
        try (ModelFile ours = ModelLoader.open(out); ModelFile theirs = ModelLoader.open(Path.of(llamacpp("Q4_K_M.gguf")))) {
            assertEquals(types(theirs), types(ours));
            assertEquals("15", ours.metadata().get("general.file_type"));
            assertEquals("2", ours.metadata().get("general.quantization_version"));
        }
        Run info = CliTest.run("info", "--model", out.toString());
        assertEquals(0, info.status(), info.err());
        assertTrue(info.out().contains("Q4_K ") && info.out().contains("Q6_K "), info.out());
        Run gen = CliTest.run("generate", "--model", out.toString(), "--prompt-ids", "1 85 104", "--max-tokens", "4", "--ids");
        assertEquals(0, gen.status(), gen.err());
        assertEquals(4, gen.out().strip().split(" ").length, gen.out());
    }

    /** Rows of 64 values cannot hold Q5_K's 256-value blocks: llama.cpp's fallback, Q5_1, stores them. */
    @Test
    void kTypesFallBackForShortRows(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("q5k.gguf");
        Run r = CliTest.run("export", "--model", CliTest.fixture("tied_gguf_f32.gguf"), "--format", "gguf", "--quantize", "Q5_K",
                "--out", out.toString());
        assertEquals(0, r.status(), r.err());
        try (ModelFile f = ModelLoader.open(out)) {
            assertEquals(DType.Q5_1, f.tensors().get("blk.0.attn_q.weight").type());
            assertEquals(DType.F32, f.tensors().get("output_norm.weight").type());
            assertEquals("17", f.metadata().get("general.file_type"));
        }
        Run loaded = CliTest.run("info", "--model", CliTest.fixture("tied_gguf_f32.gguf"), "--quantize", "Q6_K");
        assertEquals(0, loaded.status(), loaded.err());
        assertTrue(loaded.out().contains("matrices converted to Q6_K") && loaded.out().contains("Q8_0 "), loaded.out());
    }

    /** A sub-model's mix picks its layers among the ones written: layer 1 is the last of 2 (more bits), not of 4. */
    @Test
    void aSubModelsMixCountsItsOwnLayers(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("sub.gguf");
        Run r = CliTest.run("export", "--model", CliTest.fixture("tied_gguf_f32.gguf"), "--format", "gguf", "--quantize", "Q4_K_M",
                "--exit-layer", "2", "--out", out.toString());
        assertEquals(0, r.status(), r.err());
        try (ModelFile f = ModelLoader.open(out)) {
            // rows of 64 values: Q4_K falls back to Q5_0, Q6_K (more bits) to Q8_0, the tied head's Q6_K to Q8_0
            assertEquals(DType.Q5_0, f.tensors().get("blk.0.attn_v.weight").type());
            assertEquals(DType.Q8_0, f.tensors().get("blk.1.attn_v.weight").type());
            assertEquals(DType.Q8_0, f.tensors().get("blk.1.ffn_down.weight").type());
            assertEquals(DType.Q5_0, f.tensors().get("blk.1.attn_q.weight").type());
            assertEquals(DType.Q8_0, f.tensors().get("token_embd.weight").type());
            assertEquals("15", f.metadata().get("general.file_type"));
        }
    }

    @Test
    void unknownValuesAreRefusedWithTheList() throws Exception {
        Run r = CliTest.run("info", "--model", CliTest.fixture("tied_gguf_f32.gguf"), "--quantize", "Q3_K");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("Q4_K_M") && r.err().contains("Q5_K_M") && r.err().contains("Q6_K"), r.err());
    }

    @Test
    void helpExplainsEveryValue() {
        Run r = CliTest.run("export", "--help");
        assertEquals(0, r.status());
        String help = r.out().replaceAll("\\s+", " ");
        for (String value : QuantRecipe.NAMES) assertTrue(help.contains(value), value + " in " + help);
        assertTrue(help.contains("falls back"), help);
    }
}
