package sortedllama.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaWeights;
import sortedllama.model.RopeLayout;
import sortedllama.model.RopeScaling;
import sortedllama.model.TensorNames;
import sortedllama.tensor.Dequantize;
import sortedllama.tensor.Tensor;

/** Every reference model loads with the config, tensor types, shapes and values the Python script wrote. */
class LoadFixturesTest {
    static List<Arguments> fixtures() {
        return Fixtures.all();
    }

    /** The LlamaConfig the manifest describes (it uses the record's field names). */
    static LlamaConfig expectedConfig(JsonNode c) {
        JsonNode s = c.get("ropeScaling");
        RopeScaling scaling = s == null || s.isNull() ? null : new RopeScaling((float) s.get("factor").asDouble(),
                (float) s.get("lowFreqFactor").asDouble(), (float) s.get("highFreqFactor").asDouble(), s.get("originalContextLength").asInt());
        return new LlamaConfig(c.get("dim").asInt(), c.get("hiddenDim").asInt(), c.get("nLayers").asInt(), c.get("nHeads").asInt(),
                c.get("nKvHeads").asInt(), c.get("headDim").asInt(), c.get("vocabSize").asInt(), c.get("contextLength").asInt(),
                (float) c.get("normEps").asDouble(), (float) c.get("ropeTheta").asDouble(), scaling,
                RopeLayout.valueOf(c.get("ropeLayout").asText()), c.get("bosId").asInt(), c.get("eosId").asInt());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void configTypesShapesAndValues(String name, JsonNode fixture) {
        try (ModelFile file = ModelLoader.open(Fixtures.path(fixture.get("path").asText()))) {
            assertEquals(expectedConfig(fixture.get("config")), file.config(), name);
            LlamaWeights w = file.weights(); // checks every shape against the config
            assertEquals(fixture.get("tied").asBoolean(), w.tiedOutput(), name + " tied head");
            List<String> matrixTypes = fixture.get("matrix_types").valueStream().map(JsonNode::asText).toList();
            for (Tensor t : file.tensors().values()) {
                if (t.shape().length == 2) assertTrue(matrixTypes.contains(t.type().name()), name + ": " + t.name() + " is " + t.type());
                else assertTrue(t.type().name().equals("F32") || matrixTypes.contains(t.type().name()), name + ": " + t.name());
            }
            for (var sample : fixture.get("samples").properties()) {
                String key = sample.getKey();
                JsonNode want = sample.getValue();
                Tensor t = file.tensors().get(key);
                assertNotNull(t, name + ": " + key);
                assertEquals(want.get("name").asText(), t.name(), name + ": name in the file of " + key);
                assertEquals(want.get("type").asText(), t.type().name(), name + ": type of " + key);
                assertArrayEquals(want.get("shape").valueStream().mapToLong(JsonNode::asLong).toArray(), t.shape(), name + ": shape of " + key);
                float[] row = new float[t.cols()];
                Dequantize.row(t, 0, row, 0);
                float[] first = new float[want.get("first").size()];
                for (int i = 0; i < first.length; i++) first[i] = (float) want.get("first").get(i).asDouble();
                assertArrayEquals(first, Arrays.copyOf(row, first.length), name + ": first values of " + key);
            }
            assertEquals(fixture.get("samples").has(ModelFile.ROPE_FREQS), file.ropeFreqDivisors() != null, name + " rope_freqs");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void ggufFilesEmbedTheirVocabulary(String name, JsonNode fixture) {
        try (ModelFile file = ModelLoader.open(Fixtures.path(fixture.get("path").asText()))) {
            JsonNode vocab = fixture.get("vocabulary");
            if (vocab == null) {
                assertNull(file.embeddedTokenizer(), name);
                return;
            }
            assertEquals(vocab.get("size").asInt(), file.embeddedTokenizer().vocabSize());
            assertEquals(vocab.get("token_5").asText(), file.embeddedTokenizer().tokenText(5));
            Map<String, String> meta = file.metadata();
            assertEquals("[array of " + vocab.get("size").asInt() + " strings]", meta.get("tokenizer.ggml.tokens"));
            assertEquals("[array of " + vocab.get("size").asInt() + " floats]", meta.get("tokenizer.ggml.scores"));
            assertEquals("llama", meta.get("general.architecture"));
            assertEquals("64", meta.get("llama.embedding_length"));
        }
    }

    @Test
    void formatsAreNamed() {
        String[][] expected = {{"tied_legacy.bin", "llama2.c legacy float32"}, {"untied_v1.bin", "llama2.c version 1 float32"},
            {"untied_v2.bin", "llama2.c version 2 (int8, group 64, expanded to float32)"}, {"tied_gguf_q4_0.gguf", "GGUF v3"},
            {"tied_hf_f32", "Hugging Face safetensors"}};
        for (String[] e : expected) {
            try (ModelFile file = ModelLoader.open(Fixtures.path(e[0]))) {
                assertEquals(e[1], file.format(), e[0]);
            }
        }
    }

    @Test
    void huggingFaceCheckpointOpensFromItsDirectoryConfigOrWeights() {
        for (String p : new String[] {"untied_hf_bf16", "untied_hf_bf16/config.json", "untied_hf_bf16/model-00002-of-00002.safetensors",
                "untied_hf_bf16/model.safetensors.index.json"}) {
            try (ModelFile file = ModelLoader.open(Fixtures.path(p))) {
                assertEquals(4, file.weights().layers.length, p);
                assertEquals("2", file.metadata().get("safetensors files"), p);
                assertEquals("model.layers.3.mlp.down_proj.weight", file.tensors().get(TensorNames.down(3)).name());
            }
        }
    }

    @Test
    void llama2cVersion2IsExpandedToFloat32() {
        try (ModelFile file = ModelLoader.open(Fixtures.path("untied_v2.bin"))) {
            Tensor wq = file.tensors().get(TensorNames.wq(0));
            assertEquals("F32", wq.type().name());
            assertEquals("wq[0]", wq.name());
            assertEquals("64", file.metadata().get("group_size"));
            assertEquals("false", file.metadata().get("shared_classifier"));
        }
    }
}
