package sortedllama.cli;

import java.util.Locale;
import picocli.CommandLine.Option;
import sortedllama.BadInputException;
import sortedllama.model.LlamaModel;
import sortedllama.tensor.DType;

/** --kv-cache, for the commands that decode: the type each sequence keeps its keys and values in. */
final class KvCacheOption {
    @Option(names = "--kv-cache", paramLabel = "TYPE", defaultValue = "F32",
            description = "Type of the KV cache: F32 (default; the bits of llama2.c's forward pass), BF16 (keys and values"
                    + " rounded to bfloat16: half the memory per token, and attention over a long context, which reads the"
                    + " whole cache at every token, reads half the bytes; logits move by about 1e-3 of their spread) or Q8_0"
                    + " (8-bit values with a scale per 32, as llama.cpp's q8_0 cache: about 28%% of F32's bytes). BF16 and"
                    + " Q8_0 need a head dimension that is a multiple of 32.")
    String kvCache;

    /** The model with its caches in the type asked for. */
    LlamaModel apply(LlamaModel model) {
        DType type;
        try {
            type = DType.valueOf(kvCache.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--kv-cache must be F32, BF16 or Q8_0, got " + kvCache);
        }
        return type == model.kvCacheType() ? model : model.withKvCache(type);
    }
}
