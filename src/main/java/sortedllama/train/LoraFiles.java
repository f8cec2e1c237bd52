package sortedllama.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import sortedllama.BadInputException;
import sortedllama.io.AtomicFiles;
import sortedllama.io.TensorFile;
import sortedllama.tensor.DType;
import sortedllama.tensor.Dequantize;
import sortedllama.tensor.Quantize;
import sortedllama.tensor.Tensor;

/**
 * A LoRA adapter on disk, a directory of two files: {@value #TENSORS} (every adapter's A [r, in]
 * and B [out, r] in float32, named after their projection as "blk.0.attn_q.lora_a") and
 * {@value #CONFIG} (rank, alpha, targets, and what the caller adds: the base model, the exits).
 */
public final class LoraFiles {
    public static final String TENSORS = "adapter.safetensors", CONFIG = "adapter.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private LoraFiles() {}

    /** Writes {@code model}'s adapters and {@code config} (plus the fields of {@code extra}) to {@code dir}. */
    public static void save(Path dir, TrainableModel model, LoraConfig config, ObjectNode extra) throws IOException {
        Files.createDirectories(dir);
        try (Arena arena = Arena.ofConfined()) {
            List<Tensor> tensors = new ArrayList<>();
            for (Param p : model.adapterParams()) tensors.add(Quantize.tensor(p.name(), DType.F32, p.shape(), p.value(), arena));
            TensorFile.write(dir.resolve(TENSORS), tensors, Map.of("format", "sorted-llama lora"));
        }
        ObjectNode json = JSON.createObjectNode();
        json.put("rank", config.rank());
        json.put("alpha", config.alpha());
        json.put("targets", config.targetList());
        json.setAll(extra);
        AtomicFiles.writeString(dir.resolve(CONFIG), json.toPrettyString() + "\n");
    }

    /** The adapter.json of {@code dir}, whole (for the fields {@link #save}'s caller added). */
    public static ObjectNode readJson(Path dir) {
        Path file = dir.resolve(CONFIG);
        if (!Files.isRegularFile(file)) throw new BadInputException(dir + " is not a LoRA adapter: no " + CONFIG);
        try {
            JsonNode node = JSON.readTree(file.toFile());
            if (!(node instanceof ObjectNode o)) throw new BadInputException(file + ": not a JSON object");
            return o;
        } catch (IOException e) {
            throw new BadInputException(file + ": unreadable: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    public static LoraConfig readConfig(Path dir) {
        ObjectNode json = readJson(dir);
        for (String key : new String[] {"rank", "alpha", "targets"}) {
            if (!json.hasNonNull(key)) throw new BadInputException(dir.resolve(CONFIG) + ": no \"" + key + "\"");
        }
        if (!json.get("rank").canConvertToInt()) throw new BadInputException(dir.resolve(CONFIG) + ": rank is not an integer");
        try {
            return new LoraConfig(json.get("rank").asInt(), json.get("alpha").asDouble(), LoraConfig.parseTargets(json.get("targets").asText()));
        } catch (BadInputException e) { // its messages name the train options that give these values
            throw new BadInputException(dir.resolve(CONFIG) + ": " + e.getMessage());
        }
    }

    /**
     * Gives {@code model} the adapters saved in {@code dir} (freezing the rest, as training did) and
     * returns their config. Every tensor must be there, with the shape the base model and the rank
     * call for, and nothing else.
     */
    public static LoraConfig load(Path dir, TrainableModel model) {
        LoraConfig config = readConfig(dir);
        config.attach(model, 0); // adapters of the right names and shapes; their values come from the file
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> saved = TensorFile.read(dir.resolve(TENSORS), arena);
            Set<String> used = new HashSet<>();
            for (Param p : model.adapterParams()) {
                Tensor t = saved.get(p.name());
                if (t == null) throw new BadInputException(dir.resolve(TENSORS) + ": missing tensor " + p.name());
                if (!Arrays.equals(t.shape(), p.shape())) {
                    boolean isA = p.name().endsWith(".lora_a");
                    long savedRank = t.shape().length == 2 ? t.shape()[isA ? 0 : 1] : -1;
                    throw new BadInputException(dir.resolve(TENSORS) + ": " + p.name() + " has shape " + t.shapeString()
                            + (savedRank != config.rank() ? ", rank " + savedRank + " where " + CONFIG + " says " + config.rank()
                                    : ", the base model needs " + Arrays.toString(p.shape())));
                }
                System.arraycopy(Dequantize.all(t), 0, p.value(), 0, p.size());
                used.add(p.name());
            }
            for (String name : saved.keySet()) {
                if (!used.contains(name)) {
                    throw new BadInputException(dir.resolve(TENSORS) + ": tensor " + name + " has no place in the base model with targets "
                            + config.targetList());
                }
            }
        }
        return config;
    }
}
