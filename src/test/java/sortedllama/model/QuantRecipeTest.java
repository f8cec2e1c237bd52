package sortedllama.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sortedllama.BadInputException;
import sortedllama.io.ModelFile;
import sortedllama.io.ModelLoader;
import sortedllama.model.QuantRecipe.Role;
import sortedllama.tensor.DType;
import sortedllama.tensor.Dequantize;
import sortedllama.tensor.Quantize;
import sortedllama.tensor.Tensor;

/**
 * The mixes' per-tensor types and our quantizers on real weights, against the files llama.cpp's
 * own quantizer wrote from the same float32 model (src/test/resources/llamacpp: F32.gguf and one
 * file per recipe, tools/reference/make_llamacpp_models.sh).
 */
class QuantRecipeTest {
    private static Path llamacpp(String name) {
        try {
            return Path.of(QuantRecipeTest.class.getResource("/llamacpp/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Q4_K_M and Q5_K_M converted here give every matrix llama.cpp's type and llama.cpp's bytes. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0"})
    void mixesMatchLlamaCppByteForByte(String recipe) {
        try (ModelFile f32 = ModelLoader.open(llamacpp("F32.gguf")); ModelFile theirs = ModelLoader.open(llamacpp(recipe + ".gguf"));
             Arena arena = Arena.ofShared()) {
            Map<String, Tensor> ours = f32.weights().convertMatrices(QuantRecipe.parse(recipe), arena).matrices();
            assertEquals(theirs.weights().matrices().keySet(), ours.keySet());
            for (var e : theirs.weights().matrices().entrySet()) {
                Tensor expected = e.getValue(), got = ours.get(e.getKey());
                assertEquals(expected.type(), got.type(), recipe + ": type of " + e.getKey());
                assertArrayEquals(bytes(expected), bytes(got), recipe + ": bytes of " + e.getKey());
            }
        }
    }

    /**
     * Every writable type on every tensor of the model, as llama.cpp's recipes stored them: the
     * same floats quantized here give the same bytes (real weights, not only the synthetic fixture).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K_S", "Q3_K_M"})
    void quantizersMatchLlamaCppOnRealWeights(String recipe) {
        try (ModelFile f32 = ModelLoader.open(llamacpp("F32.gguf")); ModelFile theirs = ModelLoader.open(llamacpp(recipe + ".gguf"))) {
            int compared = 0;
            for (var e : theirs.tensors().entrySet()) {
                Tensor expected = e.getValue();
                if (!expected.type().isQuantized() || !Quantize.canEncode(expected.type())) continue;
                Tensor source = f32.tensors().get(e.getKey());
                float[] values = Dequantize.all(source);
                byte[] got = new byte[(int) expected.type().bytesFor(values.length)];
                Quantize.encode(expected.type(), values, MemorySegment.ofArray(got));
                assertArrayEquals(bytes(expected), got, recipe + ": " + e.getKey() + " as " + expected.type());
                compared++;
            }
            assertTrue(compared > 0);
        }
    }

    private static byte[] bytes(Tensor t) {
        return t.data().toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void moreBitsPicksTheOuterEighthsAndEveryThirdLayerBetween() {
        // 32 layers (LLaMA 7B): llama.cpp gives Q4_K_M's attn_v/ffn_down Q6_K in these layers
        List<Integer> picked = IntStream.range(0, 32).filter(l -> QuantRecipe.moreBits(l, 32)).boxed().toList();
        assertEquals(List.of(0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31), picked);
        assertTrue(QuantRecipe.moreBits(0, 1));
        assertEquals(List.of(2, 3), IntStream.range(0, 4).filter(l -> QuantRecipe.moreBits(l, 4)).boxed().toList());
    }

    @Test
    void typesByRoleAndFallbacks() {
        QuantRecipe m = QuantRecipe.parse("q4_k_m");
        assertTrue(m.mixed());
        assertEquals(DType.Q6_K, m.typeFor(Role.HEAD, -1, 8, 4096));
        assertEquals(DType.Q8_0, m.typeFor(Role.HEAD, -1, 8, 288)); // llama.cpp's head rule for rows not of 256s
        assertEquals(DType.Q4_K, m.typeFor(Role.EMBEDDING, -1, 8, 4096));
        assertEquals(DType.Q6_K, m.typeFor(Role.ATTN_V, 0, 8, 4096));
        assertEquals(DType.Q4_K, m.typeFor(Role.ATTN_V, 1, 8, 4096));
        assertEquals(DType.Q6_K, m.typeFor(Role.FFN_DOWN, 3, 8, 4096));
        assertEquals(DType.Q5_0, m.typeFor(Role.OTHER, 1, 8, 288));
        assertEquals(DType.Q8_0, m.typeFor(Role.FFN_DOWN, 0, 8, 288));
        QuantRecipe q5 = QuantRecipe.parse("Q5_K_M");
        assertEquals(DType.Q5_K, q5.typeFor(Role.OTHER, 2, 8, 512));
        assertEquals(DType.Q5_1, q5.typeFor(Role.OTHER, 2, 8, 288));
        QuantRecipe pure = QuantRecipe.parse("Q4_K");
        assertFalse(pure.mixed());
        assertEquals(DType.Q4_K, pure.typeFor(Role.HEAD, -1, 8, 512));
        assertEquals(DType.Q5_0, pure.typeFor(Role.HEAD, -1, 8, 288));
        assertEquals(DType.Q4_0, QuantRecipe.parse("Q4_0").typeFor(Role.HEAD, -1, 8, 288));
        assertEquals(15, QuantRecipe.fileType(DType.Q4_K));
        assertEquals(17, QuantRecipe.fileType(DType.Q5_K));
        var e = assertThrows(BadInputException.class, () -> QuantRecipe.parse("Q3_K"));
        assertTrue(e.getMessage().contains("Q4_K_M"), e.getMessage());
    }
}
