package sortedllama.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import sortedllama.BadInputException;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaModel;
import sortedllama.model.LlamaWeights;
import sortedllama.model.RopeLayout;
import sortedllama.tensor.DType;
import sortedllama.tensor.Dequantize;
import sortedllama.tensor.Tensor;
import sortedllama.tokenizer.GgufVocabulary;

/**
 * Writers round-trip: the same format gives back every byte; another format gives back the same
 * model (same logits as PyTorch's); files appear atomically; what a format cannot record is refused.
 */
class WritersTest {
    @TempDir Path dir;

    static List<Arguments> fixtures() {
        return Fixtures.all();
    }

    static GgufVocabulary vocabularyOf(Path gguf) {
        try (Arena arena = Arena.ofConfined()) {
            return GgufReader.vocabulary(new GgufFile(MappedFile.open(gguf, arena)));
        }
    }

    /** Writes {@code source} back in its own format into {@code target}. */
    static Path writeSameFormat(ModelFile source, Path target) {
        String format = source.format();
        if (format.startsWith("GGUF")) {
            Path p = target.resolve("model.gguf");
            GgufWriter.write(p, source.weights(), source.ropeFreqDivisors(), vocabularyOf(source.path()));
            return p;
        }
        if (format.startsWith("Hugging Face")) {
            SafetensorsWriter.write(target, source.weights(), source.weights().tokenEmbedding.type());
            return target;
        }
        Path p = target.resolve("model.bin");
        Llama2cWriter.write(p, source.weights(), format.contains("legacy") ? 0 : 1);
        return p;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void sameFormatGivesBackEveryByte(String name, JsonNode fixture) {
        try (ModelFile source = ModelLoader.open(Fixtures.path(fixture.get("path").asText()));
             ModelFile back = ModelLoader.open(writeSameFormat(source, dir))) {
            assertEquals(source.config(), back.config(), name);
            assertEquals(source.tensors().keySet(), back.tensors().keySet(), name);
            source.tensors().forEach((key, t) -> {
                Tensor u = back.tensors().get(key);
                assertEquals(t.name(), u.name(), name + " " + key);
                assertEquals(t.type(), u.type(), name + " " + key);
                assertArrayEquals(t.shape(), u.shape(), name + " " + key);
                assertEquals(-1, t.data().mismatch(u.data()), name + " " + key + ": bytes differ");
            });
            if (source.embeddedTokenizer() != null) {
                GgufVocabulary a = vocabularyOf(source.path()), b = vocabularyOf(back.path());
                assertArrayEquals(a.tokens(), b.tokens());
                assertArrayEquals(a.scores(), b.scores());
                assertArrayEquals(a.tokenTypes(), b.tokenTypes());
                assertEquals(a.model(), b.model());
                assertEquals(a.bosId(), b.bosId());
                assertEquals(source.embeddedTokenizer().vocabSize(), back.embeddedTokenizer().vocabSize());
            }
        }
    }

    @Test
    void llama2cVersion1FileIsByteIdenticalToExportPy() throws IOException {
        try (ModelFile source = ModelLoader.open(Fixtures.path("untied_v1.bin"))) {
            Path p = dir.resolve("v1.bin");
            Llama2cWriter.write(p, source.weights(), 1);
            assertEquals(-1, Files.mismatch(p, Fixtures.path("untied_v1.bin")));
        }
    }

    static Stream<Arguments> conversions() {
        List<Arguments> out = new ArrayList<>();
        for (Arguments f : Fixtures.all()) {
            for (String target : new String[] {"gguf", "safetensors", "llama2c"}) out.add(Arguments.of(f.get()[0], f.get()[1], target));
        }
        return out.stream();
    }

    /** Every fixture written in every format runs to the same logits as PyTorch computed for the original. */
    @ParameterizedTest(name = "{0} as {2}")
    @MethodSource("conversions")
    void otherFormatsKeepTheModel(String name, JsonNode fixture, String target) {
        try (ModelFile source = ModelLoader.open(Fixtures.path(fixture.get("path").asText()))) {
            LlamaWeights w = source.weights();
            Path written;
            switch (target) {
                case "gguf" -> GgufWriter.write(written = dir.resolve("m.gguf"), w, source.ropeFreqDivisors(), null);
                case "safetensors" -> {
                    if (source.ropeFreqDivisors() != null) return; // config.json has no place for GGUF's rope_freqs
                    // norms are stored in the checkpoint's dtype: lossless for a BF16 source, F32 for the rest
                    SafetensorsWriter.write(written = dir.resolve("hf"), w, w.tokenEmbedding.type() == DType.BF16 ? DType.BF16 : DType.F32);
                }
                default -> {
                    LlamaConfig c = source.config();
                    if (c.ropeTheta() != 10000f || source.ropeFreqDivisors() != null) {
                        var e = assertThrows(BadInputException.class, () -> Llama2cWriter.write(dir.resolve("no.bin"), w, 1));
                        assertTrue(e.getMessage().contains("cannot record"), e.getMessage());
                        assertTrue(Files.notExists(dir.resolve("no.bin")));
                        return;
                    }
                    Llama2cWriter.write(written = dir.resolve("m.bin"), w, 1);
                }
            }
            try (ModelFile back = ModelLoader.open(written)) {
                assertLogitsMatchReference(name + " as " + target, fixture, back.model());
            }
        }
    }

    static void assertLogitsMatchReference(String what, JsonNode fixture, LlamaModel model) {
        int[] tokens = Fixtures.tokens(fixture);
        int T = tokens.length, vocab = model.config().vocabSize();
        double abs = fixture.get("tolerance").get("abs").asDouble(), rel = fixture.get("tolerance").get("rel").asDouble();
        float[] expected = Fixtures.floats(fixture.get("logits").asText());
        for (int exit = 1; exit <= model.config().nLayers(); exit++) {
            float[] logits = model.forward(model.newCache(T), tokens, exit, true);
            Fixtures.assertLogitsClose(what + " exit " + exit, model, expected, (exit - 1) * T * vocab, logits, vocab, abs, rel);
        }
    }

    /** Quantizing the F32 model in Java and writing GGUF gives llama.cpp's (the Python script's) blocks. */
    @Test
    void quantizedExportMatchesGgmlsBlocks() {
        for (DType type : new DType[] {DType.F16, DType.Q8_0, DType.Q4_0}) {
            Path p = dir.resolve(type + ".gguf");
            try (ModelFile f32 = ModelLoader.open(Fixtures.path("tied_gguf_f32.gguf")); Arena arena = Arena.ofConfined()) {
                GgufWriter.write(p, f32.weights().convertMatrices(type, arena), null, vocabularyOf(f32.path()));
            }
            try (ModelFile ours = ModelLoader.open(p);
                 ModelFile theirs = ModelLoader.open(Fixtures.path("tied_gguf_" + type.name().toLowerCase() + ".gguf"))) {
                theirs.tensors().forEach((key, t) -> {
                    Tensor u = ours.tensors().get(key);
                    assertEquals(t.type(), u.type(), key);
                    long mismatch = t.data().mismatch(u.data());
                    assertEquals(-1, mismatch, type + " " + key + " differs at byte " + mismatch);
                });
            }
        }
    }

    @Test
    void halfSplitModelsAreWrittenInterleavedForGgufAndLlama2c() {
        try (ModelFile hf = ModelLoader.open(Fixtures.path("tied_hf_f32")); ModelFile legacy = ModelLoader.open(Fixtures.path("tied_legacy.bin"))) {
            assertEquals(RopeLayout.HALF_SPLIT, hf.config().ropeLayout());
            Path p = dir.resolve("m.gguf");
            GgufWriter.write(p, hf.weights(), null, null);
            try (ModelFile back = ModelLoader.open(p)) {
                assertEquals(RopeLayout.INTERLEAVED, back.config().ropeLayout());
                assertNull(back.embeddedTokenizer());
                // the same model as the llama2.c file, which never was permuted
                legacy.tensors().forEach((key, t) -> assertArrayEquals(Dequantize.all(t), Dequantize.all(back.tensors().get(key)), key));
            }
        }
    }

    @Test
    void ropeScalingBecomesRopeFreqsInGguf() {
        try (ModelFile hf = ModelLoader.open(Fixtures.path("untied_hf_bf16"))) {
            assertNotNull(hf.config().ropeScaling());
            Path p = dir.resolve("m.gguf");
            GgufWriter.write(p, hf.weights(), null, null);
            try (ModelFile back = ModelLoader.open(p); ModelFile llamaCpp = ModelLoader.open(Fixtures.path("untied_gguf_f32.gguf"))) {
                assertNull(back.config().ropeScaling());
                float[] ours = back.ropeFreqDivisors(), theirs = llamaCpp.ropeFreqDivisors();
                for (int i = 0; i < theirs.length; i++) assertEquals(theirs[i], ours[i], 1e-6 * theirs[i], "divisor " + i);
            }
        }
    }

    @Test
    void ropeRowOrderIsHuggingFacesPermute() {
        // one head of 4: interleaved pairs (0,1), (2,3); half-split keeps both first elements, then both second ones
        assertArrayEquals(new int[] {0, 2, 1, 3}, OutTensor.ropeRowOrder(1, 4, RopeLayout.INTERLEAVED, RopeLayout.HALF_SPLIT));
        int[] there = OutTensor.ropeRowOrder(3, 16, RopeLayout.INTERLEAVED, RopeLayout.HALF_SPLIT);
        int[] back = OutTensor.ropeRowOrder(3, 16, RopeLayout.HALF_SPLIT, RopeLayout.INTERLEAVED);
        for (int r = 0; r < there.length; r++) assertEquals(r, there[back[r]]);
        assertNull(OutTensor.ropeRowOrder(3, 16, RopeLayout.HALF_SPLIT, RopeLayout.HALF_SPLIT));
    }

    @Test
    void filesAppearAtomically() throws IOException {
        Path target = dir.resolve("model.gguf");
        Files.writeString(target, "old");
        var e = assertThrows(BadInputException.class, () -> BinaryOut.writeAtomically(target, out -> {
            out.i32(42);
            throw new IOException("disk full");
        }));
        assertTrue(e.getMessage().contains("model.gguf") && e.getMessage().contains("disk full"), e.getMessage());
        assertEquals("old", Files.readString(target));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(target), files.toList(), "no temporary file is left behind");
        }
    }

    @Test
    void overwritingAModelThatIsOpenKeepsTheOpenOneIntact() throws IOException {
        Path p = dir.resolve("m.gguf");
        Files.copy(Fixtures.path("tied_gguf_q8_0.gguf"), p);
        try (ModelFile open = ModelLoader.open(p); ModelFile other = ModelLoader.open(Fixtures.path("untied_gguf_f32.gguf"))) {
            float[] before = Dequantize.all(open.tensors().get("blk.0.attn_q.weight"));
            GgufWriter.write(p, other.weights(), other.ropeFreqDivisors(), null);
            assertArrayEquals(before, Dequantize.all(open.tensors().get("blk.0.attn_q.weight")));
            try (ModelFile now = ModelLoader.open(p)) {
                assertEquals(DType.F32, now.tensors().get("blk.0.attn_q.weight").type());
            }
        }
    }

    @Test
    void whatAFormatCannotRecordIsRefused() {
        try (ModelFile hf = ModelLoader.open(Fixtures.path("untied_hf_bf16")); ModelFile q8 = ModelLoader.open(Fixtures.path("tied_gguf_q8_0.gguf"))) {
            var e = assertThrows(BadInputException.class, () -> Llama2cWriter.write(dir.resolve("x.bin"), hf.weights(), 0));
            assertTrue(e.getMessage().contains("x.bin") && e.getMessage().contains("rope scaling"), e.getMessage());
            e = assertThrows(BadInputException.class, () -> SafetensorsWriter.write(dir.resolve("hf"), q8.weights(), DType.Q8_0));
            assertTrue(e.getMessage().contains("Q8_0"), e.getMessage());
            // and a quantized model can be written as float safetensors
            SafetensorsWriter.write(dir.resolve("hf"), q8.weights(), DType.BF16);
            try (ModelFile back = ModelLoader.open(dir.resolve("hf"))) {
                assertEquals(DType.BF16, back.tensors().get("blk.0.attn_q.weight").type());
                assertEquals("bfloat16", back.metadata().get("torch_dtype"));
                assertTrue(back.weights().tiedOutput());
            }
        }
    }

    @Test
    void configJsonReadsBackExactly() throws IOException {
        try (ModelFile hf = ModelLoader.open(Fixtures.path("untied_hf_bf16"))) {
            SafetensorsWriter.write(dir, hf.weights(), DType.BF16);
            String json = Files.readString(dir.resolve("config.json"));
            assertTrue(json.contains("\"rms_norm_eps\" : 1.0E-5"), json);
            assertTrue(json.contains("\"rope_type\" : \"llama3\""), json);
            assertEquals(hf.config(), HfConfig.read(dir.resolve("config.json")).config());
        }
    }
}
