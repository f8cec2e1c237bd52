package sortedllama.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;
import sortedllama.BadInputException;
import sortedllama.io.ModelFile;
import sortedllama.io.ModelLoader;
import sortedllama.tensor.Parallel;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.tokenizer.Tokenizers;

/** Options shared by every command that loads a model. */
final class ModelOptions {
    @Option(names = "--model", required = true, paramLabel = "PATH",
            description = "Model to load: a llama2.c .bin, a GGUF file, or a Hugging Face directory "
                    + "(config.json + model.safetensors or sharded safetensors with an index).")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "PATH",
            description = "Tokenizer: SentencePiece tokenizer.model, llama2.c tokenizer.bin or Hugging Face "
                    + "tokenizer.json. Default: the vocabulary embedded in a GGUF file, or tokenizer.json, "
                    + "tokenizer.model or tokenizer.bin beside the model.")
    Path tokenizer;

    @Option(names = "--threads", paramLabel = "N", description = "Threads for the kernels (default: all cores).")
    Integer threads;

    @Option(names = "--quantize", paramLabel = "TYPE",
            description = "Convert the weight matrices in memory when loading: F32, F16, BF16, Q8_0 or Q4_0 "
                    + "(e.g. Q8_0 reads a quarter of float32's bytes per token).")
    String quantize;

    ModelFile open() {
        if (threads != null) {
            if (threads < 1) throw new BadInputException("--threads must be at least 1, got " + threads);
            Parallel.setThreads(threads);
        }
        ModelFile file = ModelLoader.open(model);
        if (quantize == null) return file;
        try {
            return file.withMatricesAs(parseType(quantize));
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private static sortedllama.tensor.DType parseType(String name) {
        try {
            return sortedllama.tensor.DType.valueOf(name.strip().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--quantize: unknown type \"" + name + "\" (F32, F16, BF16, Q8_0, Q4_0)");
        }
    }

    /** The tokenizer to use, or null when none is given, embedded or found beside the model. */
    Tokenizer tokenizer(ModelFile file) {
        if (tokenizer != null) return Tokenizers.load(tokenizer, file.config().vocabSize());
        if (file.embeddedTokenizer() != null) return file.embeddedTokenizer();
        Path dir = java.nio.file.Files.isDirectory(model) ? model : model.toAbsolutePath().getParent();
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
