package sortedllama.io;

import static sortedllama.model.TensorNames.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import sortedllama.BadInputException;
import sortedllama.tensor.DType;
import sortedllama.tensor.Tensor;

/**
 * Hugging Face checkpoints: {@code config.json} plus {@code model.safetensors}, or shards listed
 * in {@code model.safetensors.index.json}. A safetensors file is an 8-byte header length, a JSON
 * header (dtype, shape, data offsets relative to the end of the header) and the raw data.
 */
final class SafetensorsReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsReader() {}

    /** @param path the model directory, its config.json, or one of its safetensors files */
    static ModelFile read(Path path) {
        Path dir = Files.isDirectory(path) ? path : path.toAbsolutePath().getParent();
        Arena arena = Arena.ofShared();
        try {
            var config = HfConfig.read(dir.resolve("config.json"));
            Map<String, Tensor> byFileName = new LinkedHashMap<>();
            for (Path shard : shards(dir)) byFileName.putAll(tensors(MappedFile.open(shard, arena)));
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            byFileName.forEach((name, t) -> {
                String ours = ourName(name);
                if (ours != null) tensors.put(ours, t);
            });
            if (config.tieWordEmbeddings()) tensors.remove(OUTPUT);
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("torch_dtype", config.torchDtype());
            return new ModelFile(dir, "Hugging Face safetensors", config.config(), tensors, null, meta, arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The safetensors files of a checkpoint: the index's shards, or model.safetensors. */
    static Iterable<Path> shards(Path dir) {
        Path index = dir.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(index)) {
            JsonNode map = readJson(index).get("weight_map");
            if (map == null || !map.isObject()) throw new BadInputException(index + ": no weight_map object");
            TreeSet<String> files = new TreeSet<>();
            map.forEach(v -> files.add(v.asText()));
            return files.stream().map(dir::resolve).toList();
        }
        Path single = dir.resolve("model.safetensors");
        if (!Files.isRegularFile(single)) {
            throw new BadInputException(dir + ": no model.safetensors or model.safetensors.index.json");
        }
        return java.util.List.of(single);
    }

    /** Every tensor of one safetensors file, under its own name. */
    static Map<String, Tensor> tensors(MappedFile f) {
        long headerLength = f.readLong(0, "header length");
        if (headerLength <= 0 || headerLength > f.size() - 8) {
            throw f.error("not a safetensors file: header length " + headerLength + " for a file of " + f.size() + " bytes");
        }
        byte[] headerBytes = f.slice(8, headerLength, "header").toArray(ValueLayout.JAVA_BYTE);
        JsonNode header;
        try {
            header = JSON.readTree(new String(headerBytes, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw f.error("malformed safetensors JSON header: " + e.getMessage());
        }
        long dataStart = 8 + headerLength;
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.properties().iterator(); it.hasNext(); ) {
            var entry = it.next();
            String name = entry.getKey();
            if (name.equals("__metadata__")) continue;
            JsonNode info = entry.getValue();
            DType type = dtype(f, name, info.path("dtype").asText());
            JsonNode shapeNode = info.path("shape"), offsets = info.path("data_offsets");
            if (!shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2) throw f.error("tensor " + name + ": malformed header entry");
            long[] shape = new long[shapeNode.size()];
            for (int i = 0; i < shape.length; i++) shape[i] = shapeNode.get(i).asLong();
            long begin = offsets.get(0).asLong(), end = offsets.get(1).asLong();
            long expected = type.bytesFor(Tensor.elementCount(shape));
            if (end - begin != expected) {
                throw f.error("tensor " + name + ": " + type + " " + java.util.Arrays.toString(shape) + " needs " + expected
                        + " bytes but its data offsets span " + (end - begin));
            }
            MemorySegment data = f.slice(dataStart + begin, expected, "tensor " + name);
            out.put(name, new Tensor(name, type, shape, data));
        }
        return out;
    }

    private static DType dtype(MappedFile f, String name, String dtype) {
        return switch (dtype) {
            case "F32" -> DType.F32;
            case "F16" -> DType.F16;
            case "BF16" -> DType.BF16;
            default -> throw f.error("tensor " + name + " has dtype " + dtype + ", which is not supported (F32, F16, BF16 are)");
        };
    }

    /** Hugging Face's LLaMA tensor names to ours; null for tensors we do not use (e.g. rotary buffers). */
    static String ourName(String hf) {
        if (hf.equals("model.embed_tokens.weight")) return TOKEN_EMBEDDING;
        if (hf.equals("model.norm.weight")) return FINAL_NORM;
        if (hf.equals("lm_head.weight")) return OUTPUT;
        if (!hf.startsWith("model.layers.")) return null;
        String rest = hf.substring("model.layers.".length());
        int dot = rest.indexOf('.');
        if (dot < 0) return null;
        int l;
        try {
            l = Integer.parseInt(rest.substring(0, dot));
        } catch (NumberFormatException e) {
            return null;
        }
        return switch (rest.substring(dot + 1)) {
            case "input_layernorm.weight" -> attnNorm(l);
            case "self_attn.q_proj.weight" -> wq(l);
            case "self_attn.k_proj.weight" -> wk(l);
            case "self_attn.v_proj.weight" -> wv(l);
            case "self_attn.o_proj.weight" -> wo(l);
            case "post_attention_layernorm.weight" -> ffnNorm(l);
            case "mlp.gate_proj.weight" -> gate(l);
            case "mlp.up_proj.weight" -> up(l);
            case "mlp.down_proj.weight" -> down(l);
            default -> null;
        };
    }

    static JsonNode readJson(Path path) {
        try {
            return JSON.readTree(Files.readString(path));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new BadInputException(path + ": no such file");
        } catch (IOException e) {
            throw new BadInputException(path + ": malformed JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }
}
