package sortedllama.io;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaModel;
import sortedllama.model.LlamaWeights;
import sortedllama.model.TensorNames;
import sortedllama.tensor.DType;
import sortedllama.tensor.Dequantize;
import sortedllama.tensor.NativeKernels;
import sortedllama.tensor.Tensor;
import sortedllama.tokenizer.Tokenizer;

/**
 * A model read from disk: its config, its tensors (keyed by {@link sortedllama.model.TensorNames},
 * each keeping its name in the file), the vocabulary it embeds (GGUF) or null, and free-form
 * metadata for {@code info}. Closing it unmaps the file: weights must not be used afterwards.
 *
 * @param format human-readable format name, e.g. "GGUF v3", "safetensors", "llama2.c (legacy)"
 */
public record ModelFile(Path path, String format, LlamaConfig config, Map<String, Tensor> tensors,
                        Tokenizer embeddedTokenizer, Map<String, String> metadata, Arena arena)
        implements AutoCloseable {

    /**
     * Every weight matrix that is multiplied gets its rows repacked for the native decoding kernels
     * ({@link NativeKernels#withRowGroups}, in the file's arena); the token embedding, read a row at
     * a time, only when it is the head too.
     */
    public ModelFile {
        Map<String, Tensor> grouped = new LinkedHashMap<>();
        boolean ownHead = tensors.containsKey(TensorNames.OUTPUT);
        for (var e : tensors.entrySet()) {
            boolean lookupOnly = ownHead && e.getKey().equals(TensorNames.TOKEN_EMBEDDING);
            grouped.put(e.getKey(), lookupOnly ? e.getValue() : NativeKernels.withRowGroups(e.getValue(), arena));
        }
        tensors = grouped;
    }
    /** Metadata key of the exits a model was sorted-tuned at ("2,4,6,8"), when its file records them. */
    public static final String SORTED_EXITS = "sorted_exits";

    /**
     * The model's exit set: the exits it was sorted-tuned at when the file records them
     * (config.json's {@code sorted_exits}), else every layer.
     */
    public ExitSet exitSet() {
        String exits = metadata.get(SORTED_EXITS);
        return exits == null ? ExitSet.all(config.nLayers())
                : ExitSet.parse(exits, config.nLayers());
    }

    /** Key of the optional rope frequency divisors in {@link #tensors}. */
    public static final String ROPE_FREQS = "rope_freqs.weight";

    public LlamaWeights weights() {
        return LlamaWeights.fromTensors(config, tensors, path.toString());
    }

    /**
     * The same model with every weight matrix converted to {@code type} in memory (norms stay
     * float32); the tensor map keeps the converted matrices, so weights() and info see them.
     */
    public ModelFile withMatricesAs(DType type) {
        var converted = weights().convertMatrices(type, arena);
        Map<String, Tensor> tensors = new LinkedHashMap<>(this.tensors);
        tensors.putAll(converted.matrices());
        return new ModelFile(path, format + ", matrices converted to " + type, config, tensors, embeddedTokenizer, metadata, arena);
    }

    /** The model ready to run (weights checked against the config). */
    public LlamaModel model() {
        return new LlamaModel(weights(), ropeFreqDivisors());
    }

    /** Llama 3.1's per-frequency rope divisors ({@code rope_freqs.weight} in GGUF), or null. */
    public float[] ropeFreqDivisors() {
        Tensor t = tensors.get(ROPE_FREQS);
        return t == null ? null : Dequantize.all(t);
    }

    @Override
    public void close() {
        arena.close();
    }
}
