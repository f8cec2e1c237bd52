package sortedllama.io;

import static sortedllama.model.TensorNames.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;
import sortedllama.BadInputException;
import sortedllama.tensor.DType;
import sortedllama.tensor.Tensor;

/**
 * Hugging Face checkpoints: {@code config.json} plus {@code model.safetensors}, or the shards listed
 * in {@code model.safetensors.index.json}. A safetensors file is a uint64 header length, a JSON
 * header ({@code {name: {dtype, shape, data_offsets: [begin, end]}}, plus an optional
 * {@code __metadata__}; offsets relative to the end of the header) and the raw little-endian data.
 */
final class SafetensorsReader {
    private SafetensorsReader() {}

    /** @param path the model directory, its config.json, or one of its safetensors files */
    static ModelFile read(Path path) {
        Path dir = Files.isDirectory(path) ? path : path.toAbsolutePath().getParent();
        Arena arena = Arena.ofShared();
        try {
            HfConfig config = HfConfig.read(dir.resolve("config.json"));
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            Map<String, Path> seen = new LinkedHashMap<>();
            for (Path shard : shards(dir)) {
                tensors(MappedFile.open(shard, arena)).forEach((name, t) -> {
                    Path before = seen.put(name, shard);
                    if (before != null) throw new BadInputException(shard + ": tensor " + name + " is also in " + before);
                    String ours = ourName(name);
                    if (ours != null) tensors.put(ours, t);
                });
            }
            if (config.tieWordEmbeddings()) tensors.remove(OUTPUT); // tied: lm_head, if saved at all, is the embedding
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("torch_dtype", config.torchDtype());
            if (config.sortedExits() != null) meta.put(ModelFile.SORTED_EXITS, config.sortedExits());
            meta.put("tie_word_embeddings", String.valueOf(config.tieWordEmbeddings()));
            meta.put("safetensors files", String.valueOf(new TreeSet<>(seen.values()).size()));
            return new ModelFile(dir, "Hugging Face safetensors", config.config(), tensors, null, meta, arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The safetensors files of a checkpoint: the index's shards, or model.safetensors. */
    static List<Path> shards(Path dir) {
        Path index = dir.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(index)) {
            JsonNode map = HfConfig.readJson(index).get("weight_map");
            if (map == null || !map.isObject() || map.isEmpty()) throw new BadInputException(index + ": no weight_map object");
            TreeSet<String> files = new TreeSet<>();
            map.forEach(v -> files.add(v.asText()));
            List<Path> out = new ArrayList<>();
            for (String file : files) {
                Path shard = dir.resolve(file).normalize();
                if (!shard.startsWith(dir.normalize())) throw new BadInputException(index + ": shard " + file + " is outside " + dir);
                out.add(shard);
            }
            return out;
        }
        Path single = dir.resolve("model.safetensors");
        if (!Files.isRegularFile(single)) {
            throw new BadInputException(dir + ": no model.safetensors or model.safetensors.index.json");
        }
        return List.of(single);
    }

    /** Every tensor of one safetensors file, under its own name. */
    static Map<String, Tensor> tensors(MappedFile f) {
        long headerLength = f.readLong(0, "header length");
        if (headerLength < 2) throw f.error("not a safetensors file: header length " + headerLength);
        byte[] headerBytes = f.slice(8, headerLength, "JSON header").toArray(ValueLayout.JAVA_BYTE);
        JsonNode header;
        try {
            header = HfConfig.JSON.readTree(new String(headerBytes, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw f.error("malformed safetensors JSON header: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (header == null || !header.isObject()) throw f.error("malformed safetensors header: not a JSON object");
        long dataStart = 8 + headerLength, dataSize = f.size() - dataStart;
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (var entry : header.properties()) {
            String name = entry.getKey();
            if (name.equals("__metadata__")) continue;
            JsonNode info = entry.getValue();
            DType type = dtype(f, name, info.path("dtype").asText());
            JsonNode shapeNode = info.path("shape"), offsets = info.path("data_offsets");
            if (!shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2
                    || !offsets.get(0).canConvertToLong() || !offsets.get(1).canConvertToLong()) {
                throw f.error("tensor " + name + ": malformed header entry " + info);
            }
            long[] shape = new long[shapeNode.size()];
            long elements = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeNode.get(i).asLong(-1);
                if (shape[i] < 0 || (shape[i] > 0 && elements > Long.MAX_VALUE / 8 / shape[i])) {
                    throw f.error("tensor " + name + " has an impossible shape " + shapeNode);
                }
                elements *= shape[i];
            }
            long begin = offsets.get(0).asLong(), end = offsets.get(1).asLong();
            long expected = type.bytesFor(elements);
            if (begin < 0 || end < begin || end - begin != expected) {
                throw f.error("tensor " + name + ": " + type + " " + shapeNode + " needs " + expected
                        + " bytes but its data_offsets are [" + begin + ", " + end + "]");
            }
            if (end > dataSize) {
                throw f.error("file is truncated or corrupt: tensor " + name + " has data_offsets [" + begin + ", " + end
                        + "] but the data section has " + dataSize + " bytes");
            }
            out.put(name, new Tensor(name, type, shape, f.slice(dataStart + begin, expected, "tensor " + name)));
        }
        return out;
    }

    private static DType dtype(MappedFile f, String name, String dtype) {
        return switch (dtype) {
            case "F32" -> DType.F32;
            case "F16" -> DType.F16;
            case "BF16" -> DType.BF16;
            default -> throw f.error("tensor " + name + " has dtype \"" + dtype + "\", which is not supported (F32, F16, BF16 are)");
        };
    }

    /** Hugging Face's LLaMA tensor names to ours; null for tensors we do not use (e.g. rotary buffers). */
    static String ourName(String hf) {
        if (hf.equals("model.embed_tokens.weight")) return TOKEN_EMBEDDING;
        if (hf.equals("model.norm.weight")) return FINAL_NORM;
        if (hf.equals("lm_head.weight")) return OUTPUT;
        int exit = exitOfHf(hf);
        if (exit >= 0) return hf.endsWith(".norm.weight") ? exitNorm(exit) : exitOutput(exit);
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

    /**
     * An exit's own norm and head (SFT+ICT) have no Hugging Face name; ours are
     * {@code exit_heads.K.norm.weight} and {@code exit_heads.K.lm_head.weight}, beside lm_head.
     */
    private static final Pattern HF_EXIT_HEAD =
            Pattern.compile("exit_heads\\.(\\d+)\\.(norm|lm_head)\\.weight");

    private static int exitOfHf(String hf) {
        var m = HF_EXIT_HEAD.matcher(hf);
        if (!m.matches()) return -1;
        // a number too long for an int is no exit either: the loader names it as out of range
        return m.group(1).length() > 9 ? Integer.MAX_VALUE : Integer.parseInt(m.group(1));
    }

    /** Ours to Hugging Face's: the inverse of {@link #ourName}. */
    static String hfName(String ours) {
        if (ours.equals(TOKEN_EMBEDDING)) return "model.embed_tokens.weight";
        if (ours.equals(FINAL_NORM)) return "model.norm.weight";
        if (ours.equals(OUTPUT)) return "lm_head.weight";
        int exit = exitOf(ours);
        if (exit >= 0) return "exit_heads." + exit + (ours.equals(exitNorm(exit)) ? ".norm.weight" : ".lm_head.weight");
        // blk.N.kind.weight
        String[] parts = ours.split("\\.");
        if (parts.length != 4 || !parts[0].equals("blk")) throw new IllegalArgumentException("not a LLaMA tensor name: " + ours);
        String kind = switch (parts[2]) {
            case "attn_norm" -> "input_layernorm";
            case "attn_q" -> "self_attn.q_proj";
            case "attn_k" -> "self_attn.k_proj";
            case "attn_v" -> "self_attn.v_proj";
            case "attn_output" -> "self_attn.o_proj";
            case "ffn_norm" -> "post_attention_layernorm";
            case "ffn_gate" -> "mlp.gate_proj";
            case "ffn_up" -> "mlp.up_proj";
            case "ffn_down" -> "mlp.down_proj";
            default -> throw new IllegalArgumentException("not a LLaMA tensor name: " + ours);
        };
        return "model.layers." + parts[1] + "." + kind + ".weight";
    }
}
