package sortedllama.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaWeights;
import sortedllama.model.RopeLayout;
import sortedllama.model.TestModels;
import sortedllama.tensor.DType;

/**
 * The fuzz tests' seed corpus: small valid files of every kind, and every crafted file of issue 13
 * (each refused in one line), under {@code src/test/resources/sortedllama/<package>/<Class>Inputs/<target>/},
 * each named after the reader (or endpoint) that its first byte picks.
 * The test below checks that the committed seeds are what this class builds; after changing it,
 * regenerate them with {@code mvn -o test -Dtest=FuzzSeeds -Dfuzz.writeSeeds=true}.
 */
public class FuzzSeeds {
    static final Path RESOURCES = Path.of("src/test/resources/sortedllama");
    /** The endpoints, in the order RequestParserFuzzTest's first byte picks them (its bit 0). */
    public static final List<String> REQUEST_TARGETS = List.of("completion", "chat");

    /** 8 wide, one layer, 16 tokens: every tensor kind in a few kilobytes. */
    static final LlamaConfig TINY = new LlamaConfig(8, 16, 1, 2, 1, 4, 16, 16, 1e-5f, 10000f, null, RopeLayout.INTERLEAVED, 1, 2);

    static LlamaWeights tinyWeights() {
        return TestModels.random(TINY, 3, 1f).weights();
    }

    /** {@link #TINY} as a Hugging Face checkpoint, built once (the fuzz targets use it on every input). */
    private static final class Tiny {
        static final byte[] CONFIG = generated("config.json", p -> SafetensorsWriter.write(p.getParent(), tinyWeights(), DType.F32));
        static final byte[] SAFETENSORS = generated("model.safetensors", p -> SafetensorsWriter.write(p.getParent(), tinyWeights(), DType.F32));
    }

    /** config.json of {@link #TINY}. */
    public static byte[] tinyConfigJson() {
        return Tiny.CONFIG.clone();
    }

    /** model.safetensors of {@link #TINY}. */
    public static byte[] tinySafetensors() {
        return Tiny.SAFETENSORS.clone();
    }

    /** Every seed, by its path under {@link #RESOURCES}. */
    static Map<String, byte[]> seeds() {
        Map<String, byte[]> s = new LinkedHashMap<>();
        String files = "io/FileReadersFuzzTestInputs/";
        String gguf = files + "gguf/", llama2c = files + "llama2c/", safetensors = files + "safetensors/", config = files + "config/";
        byte[] tinyGguf = generated("model.gguf", p -> GgufWriter.write(p, tinyWeights(), null, null));
        s.put(gguf + "tiny.gguf", tinyGguf);
        s.put(gguf + "layers-2147483647.gguf", patchValue(tinyGguf, "llama.block_count", BadFilesTest.le32(Integer.MAX_VALUE)));
        s.put(gguf + "layers-1000000000.gguf", patchValue(tinyGguf, "llama.block_count", BadFilesTest.le32(1_000_000_000)));
        s.put(gguf + "context-2147483647.gguf", patchValue(tinyGguf, "llama.context_length", BadFilesTest.le32(Integer.MAX_VALUE)));
        s.put(gguf + "rope-theta-nan.gguf", patchValue(tinyGguf, "llama.rope.freq_base", BadFilesTest.le32(Float.floatToRawIntBits(Float.NaN))));
        s.put(gguf + "eps-negative.gguf", patchValue(tinyGguf, "llama.attention.layer_norm_rms_epsilon", BadFilesTest.le32(Float.floatToRawIntBits(-1e-5f))));
        s.put(gguf + "tensors-overlap.gguf", patch(tinyGguf, tensorOffsetField(tinyGguf, "blk.0.attn_norm.weight", 1),
                Arrays.copyOfRange(tinyGguf, tensorOffsetField(tinyGguf, "output_norm.weight", 1), tensorOffsetField(tinyGguf, "output_norm.weight", 1) + 8)));
        s.put(gguf + "tensor-misaligned.gguf", patch(tinyGguf, tensorOffsetField(tinyGguf, "output_norm.weight", 1),
                BadFilesTest.le64(ByteBuffer.wrap(tinyGguf, tensorOffsetField(tinyGguf, "output_norm.weight", 1), 8).order(ByteOrder.LITTLE_ENDIAN).getLong() + 4)));
        s.put(gguf + "arrays-nested-1000-deep.gguf", nestedArrays(1000));

        byte[] legacy = generated("model.bin", p -> Llama2cWriter.write(p, tinyWeights(), 0));
        s.put(llama2c + "tiny-legacy.bin", legacy);
        s.put(llama2c + "tiny-v1.bin", generated("model.bin", p -> Llama2cWriter.write(p, tinyWeights(), 1)));
        s.put(llama2c + "layers-2147483647.bin", patch(legacy, 8, BadFilesTest.le32(Integer.MAX_VALUE)));
        s.put(llama2c + "context-2147483647.bin", patch(legacy, 24, BadFilesTest.le32(Integer.MAX_VALUE)));

        s.put(safetensors + "tiny.safetensors", tinySafetensors());
        s.put(safetensors + "header-length-huge.safetensors", patch(tinySafetensors(), 0, BadFilesTest.le64(Long.MAX_VALUE - 7)));
        s.put(safetensors + "exit-head-99999999999.safetensors", generated("model.safetensors", p -> SafetensorsWriter.writeFile(p,
                List.of(OutTensor.of("exit_heads.99999999999.norm.weight", new float[8], DType.F32)), Map.of())));

        String tinyConfig = new String(tinyConfigJson(), StandardCharsets.UTF_8);
        s.put(config + "tiny.json", tinyConfigJson());
        s.put(config + "layers-2147483647.json", edit(tinyConfig, "\"num_hidden_layers\" : 1", "\"num_hidden_layers\" : 2147483647"));
        s.put(config + "context-2147483647.json", edit(tinyConfig, "\"max_position_embeddings\" : 16", "\"max_position_embeddings\" : 2147483647"));
        s.put(config + "heads-times-head-dim-overflows.json",
                edit(tinyConfig, "\"num_attention_heads\" : 2", "\"num_attention_heads\" : 65536, \"head_dim\" : 65536"));
        s.put(config + "rope-theta-infinite.json", edit(tinyConfig, "\"rope_theta\" : 10000.0", "\"rope_theta\" : 1e999"));
        s.put(config + "eps-negative.json", edit(tinyConfig, "\"rms_norm_eps\" : 1.0E-5", "\"rms_norm_eps\" : -1.0E-5"));

        String bin = files + "tokenizerBin/", json = files + "tokenizerJson/", model = files + "tokenizerModel/";
        s.put(bin + "tiny.bin", llama2cTokenizer(new String[] {"<unk>", "\n<s>\n", "\n</s>\n", " ", "a", "b", " a", "ab"}));
        s.put(bin + "token-length-0x7ffffff0.bin", ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(0x7ffffff0).putFloat(0f).putInt(0x7ffffff0).array());
        byte[] wordnet = resource("/tokenizer/wordnet_bpe_600.json");
        s.put(json + "wordnet-bpe-600.json", wordnet);
        s.put(json + "without-merges.json", new String(wordnet, StandardCharsets.UTF_8).replaceAll("\"merges\"\\s*:", "\"no_merges\":")
                .getBytes(StandardCharsets.UTF_8));
        s.put(model + "sp-tiny.model", resource("/tokenizer/sp_tiny.model"));

        String completion = "server/RequestParserFuzzTestInputs/completion/", chat = "server/RequestParserFuzzTestInputs/chat/";
        s.put(completion + "text.json", utf8("{\"prompt\": \"Hello\", \"max_tokens\": 4, \"temperature\": 0.5, \"stop\": [\"\\n\"]}"));
        s.put(completion + "ids.json", utf8("{\"prompt\": [1, 72, 105], \"max_tokens\": 2, \"exit_layer\": 1, \"stream\": true}"));
        s.put(completion + "max-tokens-2147483647.json", utf8("{\"prompt\": \"Hello\", \"max_tokens\": 2147483647}"));
        s.put(completion + "nested-10000-deep.json", utf8("{\"prompt\": " + "[".repeat(10_000) + "]".repeat(10_000) + "}"));
        s.put(chat + "messages.json", utf8("{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, "
                + "{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"Hi\"}]}], \"max_completion_tokens\": 3}"));
        // each seed above with a first byte picking its reader or endpoint, as the one target of each class reads it
        Map<String, byte[]> all = new LinkedHashMap<>();
        s.forEach((path, bytes) -> {
            String[] parts = path.split("/"); // package, inputs directory, target, file
            int selector = parts[0].equals("io")
                    ? Arrays.stream(FileReadersFuzzTest.Kind.values()).filter(k -> k.target().equals(parts[2])).findFirst().orElseThrow().ordinal()
                    : REQUEST_TARGETS.indexOf(parts[2]);
            String combined = parts[0].equals("io") ? "anyFile" : "anyRequest";
            byte[] prefixed = new byte[bytes.length + 1];
            prefixed[0] = (byte) selector;
            System.arraycopy(bytes, 0, prefixed, 1, bytes.length);
            all.put(parts[0] + "/" + parts[1] + "/" + combined + "/" + parts[2] + "-" + parts[3], prefixed);
        });
        return all;
    }

    @Test
    void committedSeedsAreWhatThisClassBuilds() throws IOException {
        boolean write = Boolean.getBoolean("fuzz.writeSeeds");
        for (var e : seeds().entrySet()) {
            Path p = RESOURCES.resolve(e.getKey());
            if (write) {
                Files.createDirectories(p.getParent());
                Files.write(p, e.getValue());
            }
            assertArrayEquals(e.getValue(), Files.readAllBytes(p), p + " (regenerate with -Dfuzz.writeSeeds=true)");
        }
    }

    // ----- building blocks -----

    interface Writer {
        void write(Path p) throws IOException;
    }

    /** The bytes of file {@code name} after {@code writer} wrote it into an empty directory. */
    static byte[] generated(String name, Writer writer) {
        try {
            Path dir = Files.createTempDirectory("fuzz-seed");
            writer.write(dir.resolve(name));
            byte[] bytes = Files.readAllBytes(dir.resolve(name));
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) Files.delete(f);
            }
            Files.delete(dir);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] patch(byte[] original, int at, byte[] bytes) {
        byte[] out = original.clone();
        System.arraycopy(bytes, 0, out, at, bytes.length);
        return out;
    }

    static int indexOf(byte[] haystack, String text) {
        byte[] needle = text.getBytes(StandardCharsets.UTF_8);
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) if (haystack[i + j] != needle[j]) continue outer;
            return i;
        }
        throw new IllegalArgumentException("no \"" + text + "\" in the file");
    }

    /** GGUF metadata {@code key}'s value replaced (it follows the key and its int32 type). */
    static byte[] patchValue(byte[] gguf, String key, byte[] value) {
        return patch(gguf, indexOf(gguf, key) + key.length() + 4, value);
    }

    /** Where a GGUF tensor info's data offset is: after its name, dimension count, dimensions and type. */
    static int tensorOffsetField(byte[] gguf, String name, int dims) {
        return indexOf(gguf, name) + name.length() + 4 + 8 * dims + 4;
    }

    /** A GGUF header whose one metadata value is an array of an array of ... {@code depth} deep. */
    static byte[] nestedArrays(int depth) {
        var b = ByteBuffer.allocate(24 + 8 + 1 + 4 + 12 * depth).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(GgufFile.MAGIC).putInt(3).putLong(0).putLong(1).putLong(1).put((byte) 'a').putInt(GgufFile.ARRAY);
        while (b.remaining() >= 12) b.putInt(GgufFile.ARRAY).putLong(1);
        return b.array();
    }

    static byte[] llama2cTokenizer(String[] pieces) {
        var b = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN).putInt(8);
        for (int i = 0; i < pieces.length; i++) {
            byte[] bytes = pieces[i].getBytes(StandardCharsets.UTF_8);
            b.putFloat(-i).putInt(bytes.length).put(bytes);
        }
        return Arrays.copyOf(b.array(), b.position());
    }

    static byte[] edit(String text, String from, String to) {
        if (!text.contains(from)) throw new IllegalArgumentException("no " + from + " in " + text);
        return utf8(text.replace(from, to));
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] resource(String name) {
        try (var in = FuzzSeeds.class.getResourceAsStream(name)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
