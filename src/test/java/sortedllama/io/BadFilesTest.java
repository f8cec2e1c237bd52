package sortedllama.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sortedllama.BadInputException;
import sortedllama.model.TensorNames;
import sortedllama.tensor.Tensor;

/**
 * Broken files give one clear error naming the file (and the tensor), never an index error or
 * garbage: truncated anywhere, wrong magic, unsupported versions, types and architectures, missing
 * tensors and metadata, shapes that contradict the config, broken config.json and safetensors headers.
 */
class BadFilesTest {
    @TempDir Path dir;

    /** Loading (and checking the weights of) {@code p} fails with a one-line message naming {@code named}. */
    BadInputException fails(Path p, String named) {
        var e = assertThrows(BadInputException.class, () -> {
            try (ModelFile f = ModelLoader.open(p)) {
                f.weights();
            }
        });
        assertTrue(e.getMessage().contains(named), "message names " + named + ": " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e;
    }

    BadInputException fails(Path p) {
        return fails(p, p.getFileName().toString());
    }

    void failsWith(Path p, String... parts) {
        var e = fails(p);
        for (String part : parts) assertTrue(e.getMessage().contains(part), "message has \"" + part + "\": " + e.getMessage());
    }

    /** A copy of fixture {@code name} cut to {@code length} bytes. */
    Path cut(String name, long length) throws IOException {
        byte[] all = Files.readAllBytes(Fixtures.path(name));
        Path p = dir.resolve("cut" + length + "-" + Path.of(name).getFileName());
        Files.write(p, Arrays.copyOf(all, (int) length));
        return p;
    }

    Path patched(String name, int at, byte... bytes) throws IOException {
        byte[] all = Files.readAllBytes(Fixtures.path(name));
        System.arraycopy(bytes, 0, all, at, bytes.length);
        Path p = dir.resolve("patched-" + Path.of(name).getFileName());
        Files.write(p, all);
        return p;
    }

    static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    static byte[] le64(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    static int indexOf(String fixture, String text) throws IOException {
        byte[] haystack = Files.readAllBytes(Fixtures.path(fixture)), needle = text.getBytes(StandardCharsets.UTF_8);
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) if (haystack[i + j] != needle[j]) continue outer;
            return i;
        }
        throw new AssertionError(text + " not found in " + fixture);
    }

    // ----- GGUF -----

    static final String GGUF = "tied_gguf_q8_0.gguf";

    /** Where the tensor data starts: every tensor is padded to 32 bytes, the last one included. */
    static long ggufDataStart(String name) throws IOException {
        try (ModelFile f = ModelLoader.open(Fixtures.path(name))) {
            long data = 0;
            for (Tensor t : f.tensors().values()) data += (t.data().byteSize() + 31) / 32 * 32;
            return Files.size(Fixtures.path(name)) - data;
        }
    }

    @Test
    void truncatedGgufAnywhere() throws IOException {
        long size = Files.size(Fixtures.path(GGUF)), data = ggufDataStart(GGUF);
        fails(cut(GGUF, 0));
        fails(cut(GGUF, 2)); // not even the magic: an unknown format
        failsWith(cut(GGUF, 10), "truncated", "tensor count");
        failsWith(cut(GGUF, indexOf(GGUF, "tokenizer.ggml.tokens") + 40), "truncated", "tokenizer.ggml.tokens");
        String info = "blk.2.attn_q.weight";
        failsWith(cut(GGUF, indexOf(GGUF, info) + info.length() + 6), "truncated", info);
        failsWith(cut(GGUF, data - 3), "truncated", "tensor");
        failsWith(cut(GGUF, data + 100), "truncated", "token_embd.weight");
        failsWith(cut(GGUF, size - 1), "truncated", "blk.3.ffn_up.weight");
    }

    @Test
    void wrongMagic() throws IOException {
        fails(patched("tied_gguf_f32.gguf", 3, (byte) 'X'));
    }

    @Test
    void ggufVersions() throws IOException {
        failsWith(patched(GGUF, 4, le32(1)), "unsupported GGUF version 1");
        try (ModelFile v2 = ModelLoader.open(patched(GGUF, 4, le32(2)))) { // v2 has v3's layout
            assertEquals("GGUF v2", v2.format());
            assertEquals(4, v2.weights().layers.length);
        }
    }

    @Test
    void unknownTensorTypeIsNamed() throws IOException {
        // the type id follows the name, the dimension count and two dimensions
        String name = "blk.0.attn_q.weight";
        failsWith(patched(GGUF, indexOf(GGUF, name) + name.length() + 4 + 16, le32(16)), name, "ggml type 16 (IQ2_XXS)", "not supported");
        failsWith(patched(GGUF, indexOf(GGUF, name) + name.length() + 4 + 16, le32(99)), name, "ggml type 99");
    }

    @Test
    void corruptCountsAndLengths() throws IOException {
        failsWith(patched(GGUF, 8, le64(1L << 40)), "corrupt GGUF header");
        failsWith(patched(GGUF, 24, le64(1L << 40)), "metadata key");
        failsWith(patched(GGUF, 24, le64(-5)), "corrupt length");
    }

    @Test
    void unsupportedArchitecture() {
        Path p = dir.resolve("gpt2.gguf");
        GgufWriter.write(p, Map.of("general.architecture", "gpt2"), List.of());
        failsWith(p, "architecture \"gpt2\" is not supported");
    }

    @Test
    void missingMetadataIsNamed() throws IOException {
        int at = indexOf(GGUF, "llama.block_count");
        failsWith(patched(GGUF, at + "llama.block_coun".length(), (byte) 'X'), "missing metadata llama.block_count");
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        int at = indexOf("tied_gguf_f32.gguf", "blk.2.ffn_up.weight");
        failsWith(patched("tied_gguf_f32.gguf", at + 6, (byte) 'X'), "missing tensor blk.2.ffn_up.weight"); // now blk.2.ffn_Xp.weight
    }

    @Test
    void ropeFreqsOfTheWrongSize() throws IOException {
        String name = "rope_freqs.weight", file = "untied_gguf_f32.gguf";
        // its single dimension (8) follows the name and the dimension count
        failsWith(patched(file, indexOf(file, name) + name.length() + 4, BadFilesTest.le64(4)), name, "should be [8]");
    }

    // ----- llama2.c -----

    @Test
    void truncatedLlama2c() throws IOException {
        fails(cut("tied_legacy.bin", 10)); // no magic in the legacy format: an unknown (or truncated) file
        failsWith(cut("tied_legacy.bin", 28 + 100), "truncated", "token_embedding_table");
        failsWith(cut("tied_legacy.bin", Files.size(Fixtures.path("tied_legacy.bin")) - 1), "truncated", "freq_cis");
        failsWith(cut("untied_v1.bin", 20), "truncated", "header");
        failsWith(cut("untied_v1.bin", 300), "truncated", "rms_att_weight[0]");
        failsWith(cut("untied_v1.bin", Files.size(Fixtures.path("untied_v1.bin")) - 1), "truncated", "wcls");
        failsWith(cut("untied_v2.bin", 256 + 4 * 64 * 9 + 1000), "truncated", "token_embedding_table");
        failsWith(cut("untied_v2.bin", Files.size(Fixtures.path("untied_v2.bin")) - 1), "truncated", "scales of tensor wcls");
    }

    @Test
    void llama2cWithBytesToSpareOrAnUnknownVersion() throws IOException {
        Path longer = dir.resolve("longer.bin");
        byte[] all = Files.readAllBytes(Fixtures.path("untied_v1.bin"));
        Files.write(longer, Arrays.copyOf(all, all.length + 4));
        failsWith(longer, "the header describes " + all.length + " bytes");
        failsWith(patched("untied_v1.bin", 4, le32(3)), "unsupported llama2.c file version 3");
        failsWith(patched("untied_v1.bin", 8 + 12, le32(7)), "not a llama2.c checkpoint"); // 7 heads do not divide dim 64
        failsWith(patched("untied_v2.bin", 8 + 28 + 1, le32(0)), "group size 0");
        fails(patched("untied_v1.bin", 0, (byte) 'X')); // no magic: the first int as a legacy dim is absurd
    }

    // ----- safetensors and config.json -----

    /** A checkpoint directory: the tied F32 model's config.json and the given safetensors bytes. */
    Path checkpoint(byte[] safetensors) throws IOException {
        Path d = Files.createDirectories(dir.resolve("hf"));
        Files.copy(Fixtures.path("tied_hf_f32/config.json"), d.resolve("config.json"));
        Files.write(d.resolve("model.safetensors"), safetensors);
        return d;
    }

    /** A safetensors file with this JSON header and {@code dataBytes} zero bytes of data. */
    static byte[] safetensors(String header, int dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).array();
    }

    @Test
    void truncatedSafetensors() throws IOException {
        byte[] all = Files.readAllBytes(Fixtures.path("tied_hf_f32/model.safetensors"));
        failsWith(checkpoint(Arrays.copyOf(all, 4)), "model.safetensors", "truncated", "header length");
        Files.delete(dir.resolve("hf/model.safetensors"));
        Files.delete(dir.resolve("hf/config.json"));
        failsWith(checkpoint(Arrays.copyOf(all, 30)), "model.safetensors", "truncated", "JSON header");
        Files.delete(dir.resolve("hf/model.safetensors"));
        Files.delete(dir.resolve("hf/config.json"));
        failsWith(checkpoint(Arrays.copyOf(all, all.length - 1000)), "model.safetensors", "truncated", "tensor");
    }

    @Test
    void safetensorsOffsetsOutOfRange() throws IOException {
        failsWith(checkpoint(safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", 8)),
                "model.safetensors", "truncated", "tensor w");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}|tensor w: F32 [2,2] needs 16 bytes",
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[-16,0]}}|tensor w",
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[-2,2],\"data_offsets\":[0,16]}}|impossible shape",
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2]}}|tensor w: malformed header entry",
        "{\"w\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}|tensor w has dtype \"I64\", which is not supported",
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],|malformed safetensors JSON header",
        "[1,2,3]|not a JSON object"})
    void badSafetensorsHeaders(String headerAndMessage) throws IOException {
        String[] parts = headerAndMessage.split("\\|");
        failsWith(checkpoint(safetensors(parts[0], 64)), "model.safetensors", parts[1]);
    }

    /** The tied_hf_f32 fixture rewritten with the tensors {@code keep} accepts, then {@code extra} named as given. */
    Path huggingFaceWith(Predicate<String> keep, Map<String, String> extra) throws IOException {
        Path d = Files.createDirectories(dir.resolve("hf"));
        Files.copy(Fixtures.path("tied_hf_f32/config.json"), d.resolve("config.json"));
        try (ModelFile f = ModelLoader.open(Fixtures.path("tied_hf_f32"))) {
            List<OutTensor> all = new ArrayList<>();
            for (Tensor t : f.tensors().values()) {
                if (keep.test(t.name())) all.add(OutTensor.of(t.name(), t, t.type(), null));
            }
            extra.forEach((name, copyOf) -> {
                Tensor t = f.tensors().get(copyOf);
                all.add(OutTensor.of(name, t, t.type(), null));
            });
            SafetensorsWriter.writeFile(d.resolve("model.safetensors"), all, Map.of());
        }
        return d;
    }

    @Test
    void missingHuggingFaceTensorIsNamed() throws IOException {
        fails(huggingFaceWith(name -> !name.equals("model.layers.1.self_attn.v_proj.weight"), Map.of()), "missing tensor blk.1.attn_v.weight");
    }

    @Test
    void shapeThatDoesNotMatchTheConfig() throws IOException {
        Path d = Files.createDirectories(dir.resolve("hf"));
        Files.copy(Fixtures.path("tied_hf_f32/model.safetensors"), d.resolve("model.safetensors"));
        Files.writeString(d.resolve("config.json"),
                Files.readString(Fixtures.path("tied_hf_f32/config.json")).replace("\"intermediate_size\": 96", "\"intermediate_size\": 128"));
        fails(d, "model.layers.0.mlp.gate_proj.weight has shape [96, 64] but the model config needs [128, 64]");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"hidden_size\": 64,|config.json: malformed JSON",
        "[]|config.json: not a JSON object",
        "\"model_type\": \"llama\"|\"model_type\": \"gpt2\"|model_type \"gpt2\" is not a LLaMA model",
        "\"hidden_size\": 64|\"hidden_size\": null|missing \"hidden_size\"",
        "\"num_hidden_layers\": 4|\"num_hidden_layers\": \"four\"|\"num_hidden_layers\" is not an integer",
        "\"vocab_size\": 96|\"vocab_size\": -96|vocab_size -96 is out of range",
        "\"num_hidden_layers\": 4|\"num_hidden_layers\": 2147483647|n_layers 2147483647 is out of range",
        "\"num_hidden_layers\": 4|\"num_hidden_layers\": 1000000000|n_layers 1000000000 is out of range",
        "\"max_position_embeddings\": 64|\"max_position_embeddings\": 2147483647|context_length 2147483647 is out of range",
        "\"num_attention_heads\": 4|\"num_attention_heads\": 65536, \"head_dim\": 65536|n_heads 65536 x head_dim 65536 is out of range",
        "\"num_attention_heads\": 4|\"num_attention_heads\": 6|hidden_size 64 is not a multiple of num_attention_heads 6",
        "\"rope_theta\": 10000.0|\"rope_theta\": 1e999|rope theta must be a positive number, got Infinity",
        "\"rope_theta\": 10000.0|\"rope_theta\": -1|rope theta must be a positive number, got -1.0",
        "\"rms_norm_eps\": 1e-05|\"rms_norm_eps\": -1e-05|RMSNorm epsilon must be a positive number, got -1.0E-5",
        "\"num_key_value_heads\": 2|\"num_key_value_heads\": 3|not a multiple of 3 KV heads",
        "\"rope_theta\": 10000.0|\"rope_theta\": 10000.0, \"rope_scaling\": {\"rope_type\": \"yarn\"}|rope_scaling type \"yarn\""})
    void badConfigJson(String edit) throws IOException {
        String[] parts = edit.split("\\|");
        Path d = Files.createDirectories(dir.resolve("hf"));
        Files.copy(Fixtures.path("tied_hf_f32/model.safetensors"), d.resolve("model.safetensors"));
        String original = Files.readString(Fixtures.path("tied_hf_f32/config.json"));
        String config = parts.length == 2 ? parts[0] : original.replace(parts[0], parts[1]);
        assertTrue(parts.length == 2 || !config.equals(original), "the edit applies: " + parts[0]);
        Files.writeString(d.resolve("config.json"), config);
        fails(d, "config.json");
        fails(d, parts[parts.length - 1]);
    }

    @Test
    void checkpointDirectoryProblems() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        fails(empty, "without config.json");
        Path sharded = Files.createDirectories(dir.resolve("sharded"));
        Files.copy(Fixtures.path("untied_hf_bf16/config.json"), sharded.resolve("config.json"));
        Files.copy(Fixtures.path("untied_hf_bf16/model.safetensors.index.json"), sharded.resolve("model.safetensors.index.json"));
        Files.copy(Fixtures.path("untied_hf_bf16/model-00001-of-00002.safetensors"), sharded.resolve("model-00001-of-00002.safetensors"));
        fails(sharded, "model-00002-of-00002.safetensors: no such file");
        Path noWeights = Files.createDirectories(dir.resolve("noweights"));
        Files.copy(Fixtures.path("tied_hf_f32/config.json"), noWeights.resolve("config.json"));
        fails(noWeights, "no model.safetensors");
    }

    // ----- not a model at all -----

    @Test
    void notAModelAtAll() throws IOException {
        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "hello, this is a text file that is longer than a llama2.c header");
        failsWith(text, "unknown model format");
        Path empty = dir.resolve("empty.bin");
        Files.write(empty, new byte[0]);
        failsWith(empty, "unknown model format");
        Path zip = dir.resolve("pytorch_model.bin");
        Files.write(zip, new byte[] {'P', 'K', 3, 4, 0, 0, 0, 0});
        failsWith(zip, "PyTorch checkpoint");
        fails(dir.resolve("does-not-exist.bin"));
    }

    @Test
    void everyMessageIsABadInputException() throws IOException {
        // cut the GGUF file at every 997th byte: always a clear error, never another exception type
        byte[] all = Files.readAllBytes(Fixtures.path(GGUF));
        Map<String, Integer> kinds = new LinkedHashMap<>();
        for (int n = 0; n < all.length; n += 997) {
            Path p = dir.resolve("cut.gguf");
            Files.write(p, Arrays.copyOf(all, n));
            var e = assertThrows(BadInputException.class, () -> ModelLoader.open(p).close(), "cut at " + n);
            assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
            kinds.merge(e.getMessage().replaceAll("[0-9]+", "N").replaceAll("^.*?: ", ""), 1, Integer::sum);
        }
        assertTrue(kinds.size() > 2, kinds.toString());
    }

    // ----- crafted files (issue 13): each is refused in one line, before anything is sized by it -----

    /** The offset of metadata {@code key}'s value in the GGUF fixture (after the key and its int32 type). */
    static int ggufValue(String key) throws IOException {
        return indexOf(GGUF, key) + key.length() + 4;
    }

    @Test
    void craftedGgufMetadataIsRefusedNamingTheField() throws IOException {
        failsWith(patched(GGUF, ggufValue("llama.block_count"), le32(Integer.MAX_VALUE)), "n_layers 2147483647 is out of range");
        failsWith(patched(GGUF, ggufValue("llama.block_count"), le32(1_000_000_000)), "n_layers 1000000000 is out of range");
        failsWith(patched(GGUF, ggufValue("llama.context_length"), le32(Integer.MAX_VALUE)), "context_length 2147483647 is out of range");
        failsWith(patched(GGUF, ggufValue("llama.rope.freq_base"), le32(Float.floatToRawIntBits(Float.NaN))), "rope theta", "NaN");
        failsWith(patched(GGUF, ggufValue("llama.attention.layer_norm_rms_epsilon"), le32(Float.floatToRawIntBits(-1e-5f))),
                "RMSNorm epsilon must be a positive number");
    }

    /** The offset of tensor {@code name}'s data offset field in the GGUF fixture (name, dimension count, dimensions, type). */
    static int ggufTensorOffsetField(String name, int dims) throws IOException {
        return indexOf(GGUF, name) + name.length() + 4 + 8 * dims + 4;
    }

    @Test
    void overlappingOrMisalignedGgufTensorsAreRefused() throws IOException {
        byte[] all = Files.readAllBytes(Fixtures.path(GGUF));
        int finalNorm = ggufTensorOffsetField("output_norm.weight", 1), firstNorm = ggufTensorOffsetField("blk.0.attn_norm.weight", 1);
        long finalNormOffset = ByteBuffer.wrap(all, finalNorm, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        failsWith(patched(GGUF, firstNorm, le64(finalNormOffset)), "output_norm.weight", "blk.0.attn_norm.weight", "overlap");
        failsWith(patched(GGUF, finalNorm, le64(finalNormOffset + 4)), "output_norm.weight", "not a multiple of the alignment");
    }

    @Test
    void deeplyNestedGgufArraysAreRefusedWithoutRecursingThroughThem() throws IOException {
        var b = ByteBuffer.allocate(24 + 8 + 1 + 4 + 12 * 200_000).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(GgufFile.MAGIC).putInt(3).putLong(0).putLong(1).putLong(1).put((byte) 'a').putInt(GgufFile.ARRAY);
        while (b.remaining() >= 12) b.putInt(GgufFile.ARRAY).putLong(1); // an array holding an array holding ...
        Path p = dir.resolve("nested.gguf");
        Files.write(p, b.array());
        failsWith(p, "metadata a nests arrays deeper than " + GgufFile.MAX_ARRAY_DEPTH);
    }

    @Test
    void anExitHeadNumberTooLongForAnIntIsOutOfRange() throws IOException {
        Path d = huggingFaceWith(name -> true, Map.of("exit_heads.99999999999.norm.weight", TensorNames.FINAL_NORM));
        fails(d, "is the head of exit 2147483647, but the model has layers 1..4");
    }
}
