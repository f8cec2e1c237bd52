package sortedllama.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import sortedllama.BadInputException;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaWeights;
import sortedllama.model.RopeLayout;
import sortedllama.tensor.DType;

/**
 * Writes a Hugging Face checkpoint: {@code model.safetensors} (one file, Hugging Face tensor names,
 * q/k rows permuted to the half-split rotary layout, every tensor in one dtype) and
 * {@code config.json}. Per-frequency rope divisors from GGUF ({@code rope_freqs.weight}) have no
 * place in config.json; a model carrying them must not be written here.
 */
public final class SafetensorsWriter {
    private SafetensorsWriter() {}

    /** @param dtype F32, F16 or BF16, for every tensor (as Hugging Face stores norms in the model's dtype) */
    public static void write(Path dir, LlamaWeights weights, DType dtype) {
        write(dir, weights, dtype, null);
    }

    /** @param sortedExits the exits the model was sorted-tuned at, recorded in config.json; null if none */
    public static void write(Path dir, LlamaWeights weights, DType dtype, ExitSet sortedExits) {
        String torchDtype = switch (dtype) {
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            default -> throw new BadInputException("safetensors cannot store " + dtype + " (F32, F16 and BF16 are possible)");
        };
        if (Files.exists(dir.resolve("model.safetensors.index.json"))) {
            throw new BadInputException(dir + " already holds a sharded checkpoint (model.safetensors.index.json): "
                    + "choose another directory");
        }
        List<OutTensor> tensors = new ArrayList<>();
        for (var e : OutTensor.llama(weights, RopeLayout.HALF_SPLIT, dtype, dtype).entrySet()) {
            OutTensor t = e.getValue();
            tensors.add(new OutTensor(SafetensorsReader.hfName(e.getKey()), t.shape(), t.type(), t.data()));
        }
        writeFile(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        ObjectNode config = HfConfig.toJson(weights.config, weights.tiedOutput(), torchDtype);
        if (sortedExits != null) {
            var array = config.putArray(HfConfig.SORTED_EXITS);
            for (int k : sortedExits.layers()) array.add(k);
        }
        BinaryOut.writeAtomically(dir.resolve("config.json"), out -> out.utf8(config.toPrettyString() + "\n"));
    }

    /** One safetensors file holding {@code tensors} in order, with {@code metadata} as {@code __metadata__}. */
    static void writeFile(Path target, List<OutTensor> tensors, Map<String, String> metadata) {
        ObjectNode header = HfConfig.JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (OutTensor t : tensors) {
            ObjectNode entry = header.putObject(t.name());
            entry.put("dtype", t.type().name());
            var shape = entry.putArray("shape");
            for (long d : t.shape()) shape.add(d);
            entry.putArray("data_offsets").add(offset).add(offset + t.bytes());
            offset += t.bytes();
        }
        byte[] json;
        try {
            json = HfConfig.JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        // the data section starts 8-aligned: the header is padded with spaces, as the safetensors library does
        byte[] padded = Arrays.copyOf(json, (json.length + 7) / 8 * 8);
        Arrays.fill(padded, json.length, padded.length, (byte) ' ');
        BinaryOut.writeAtomically(target, out -> {
            out.i64(padded.length);
            out.bytes(padded);
            for (OutTensor t : tensors) t.write(out);
        });
    }
}
