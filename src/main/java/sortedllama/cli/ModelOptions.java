package sortedllama.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;
import sortedllama.BadInputException;
import sortedllama.io.ModelFile;
import sortedllama.io.ModelLoader;
import sortedllama.model.QuantRecipe;
import sortedllama.tensor.Parallel;
import sortedllama.tensor.Tensor;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.tokenizer.Tokenizers;

/** Options shared by every command that loads a model. */
final class ModelOptions {
    @Option(names = "--model", required = true, paramLabel = "PATH",
            description = "Model to load: a llama2.c .bin, a GGUF file, or a Hugging Face directory "
                    + "(config.json + model.safetensors or sharded safetensors with an index).")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "PATH",
            description = "Tokenizer: SentencePiece tokenizer.model, llama2.c tokenizer.bin, Hugging Face "
                    + "tokenizer.json, or a GGUF file (its embedded vocabulary). Default: the vocabulary embedded in a GGUF file, or tokenizer.json, "
                    + "tokenizer.model or tokenizer.bin beside the model.")
    Path tokenizer;

    @Option(names = "--threads", paramLabel = "N", description = "Threads for the kernels (default: all cores).")
    Integer threads;

    @Option(names = "--quantize", paramLabel = "TYPE",
            description = {"Convert the weight matrices in memory when loading (norms stay F32); export writes them so. "
                    + "One type for every matrix: F32; F16, BF16 (16-bit floats); Q8_0 (8-bit, 8.5 bits per weight); "
                    + "Q6_K (6.6); Q5_K (5.5), Q5_1 (6), Q5_0 (5.5); Q4_K (4.5), Q4_1 (5), Q4_0 (4.5). "
                    + "_K types are 256-value super-blocks with a scale per sub-block; a matrix whose rows are not a "
                    + "multiple of 256 falls back as llama.cpp does (Q4_K to Q5_0, Q5_K to Q5_1, Q6_K to Q8_0).",
                    "Or one of llama.cpp's mixes: Q4_K_M (Q4_K, with Q6_K for the head, a tied embedding, and attn_v and "
                    + "ffn_down of the first and last eighth of the layers and every third layer between) and Q5_K_M "
                    + "(the same over Q5_K). Quantization follows ggml's reference quantizers (no importance matrix): "
                    + "the bytes llama-quantize writes from the same floats."})
    String quantize;

    ModelFile open() {
        return open(true);
    }

    /** The model, its matrices converted by --quantize only when {@code convert} (export converts a sub-model itself). */
    ModelFile open(boolean convert) {
        if (threads != null) {
            if (threads < 1) throw new BadInputException("--threads must be at least 1, got " + threads);
            Parallel.setThreads(threads);
        }
        QuantRecipe recipe = quantize == null ? null : QuantRecipe.parse(quantize);
        ModelFile file = ModelLoader.open(model);
        if (recipe == null || !convert) return file;
        try {
            return converted(file, recipe);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /**
     * The same model with its matrices converted by {@code recipe} into the file's arena; the
     * tensor map holds the converted matrices, so weights() and info see them. The source's
     * {@code general.file_type} no longer describes them and is dropped.
     */
    static ModelFile converted(ModelFile file, QuantRecipe recipe) {
        var weights = file.weights().convertMatrices(recipe, file.arena());
        Map<String, Tensor> tensors = new LinkedHashMap<>(file.tensors());
        tensors.putAll(weights.matrices());
        Map<String, String> metadata = new LinkedHashMap<>(file.metadata());
        metadata.remove(FILE_TYPE);
        return new ModelFile(file.path(), file.format() + ", matrices converted to " + recipe.name(), file.config(), tensors,
                file.embeddedTokenizer(), metadata, file.arena());
    }

    /** GGUF's key for llama.cpp's llama_ftype. */
    static final String FILE_TYPE = "general.file_type";

    /** The tokenizer to use, or null when none is given, embedded or found beside the model. */
    Tokenizer tokenizer(ModelFile file) {
        if (tokenizer != null) return Tokenizers.load(tokenizer, file.config().vocabSize());
        if (file.embeddedTokenizer() != null) return file.embeddedTokenizer();
        Path dir = Files.isDirectory(model) ? model : model.toAbsolutePath().getParent();
        return Tokenizers.find(dir).map(found -> Tokenizers.load(found, file.config().vocabSize())).orElse(null);
    }

    Tokenizer requireTokenizer(ModelFile file, String why) {
        Tokenizer tok = tokenizer(file);
        if (tok == null) {
            throw new BadInputException("no tokenizer for " + model + ": give --tokenizer PATH (" + why + ")");
        }
        return tok;
    }
}
