package sortedllama.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sortedllama.BadInputException;
import sortedllama.io.GgufWriter;
import sortedllama.io.Llama2cWriter;
import sortedllama.io.ModelFile;
import sortedllama.io.SafetensorsWriter;
import sortedllama.model.LlamaWeights;
import sortedllama.model.QuantRecipe;
import sortedllama.tensor.DType;
import sortedllama.tokenizer.GgufVocabulary;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.tokenizer.Tokenizers;

@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write a model in another format, whole or as the standalone sub-model of one exit.",
                "A sub-model holds the first K layers, the final norm and the head.",
                "gguf embeds the tokenizer's vocabulary (from --tokenizer, the model's own, or a tokenizer file beside it), "
                        + "so that the file is self-contained; hf copies the tokenizer file beside config.json."})
public final class ExportCommand implements Callable<Integer> {
    public enum Format { HF, GGUF, LLAMA2C }

    @Spec CommandSpec spec;
    @Mixin ModelOptions modelOptions;

    @Option(names = "--out", required = true, paramLabel = "PATH",
            description = "Output: a directory for hf (config.json + model.safetensors), a file for gguf and llama2c.")
    Path out;

    @Option(names = "--format", required = true, paramLabel = "FMT",
            description = "hf (safetensors, float32), gguf (matrices keep their stored type, or the type or llama.cpp mix "
                    + "--quantize gives them, e.g. Q4_K_M; with the vocabulary when there is a tokenizer, and general.file_type "
                    + "and general.quantization_version as llama.cpp writes them) or llama2c (version 1, float32).")
    String format;

    @Option(names = "--exit-layer", paramLabel = "K", description = "Write only the sub-model of exit K (default: the whole model).")
    Integer exitLayer;

    @Override
    public Integer call() throws IOException {
        Format f = TrainCommand.parseEnum(Format.class, format, "--format");
        QuantRecipe recipe = modelOptions.quantize == null ? null : QuantRecipe.parse(modelOptions.quantize);
        try (ModelFile file = modelOptions.open(false)) {
            LlamaWeights w = file.weights();
            if (exitLayer != null) {
                if (exitLayer < 1 || exitLayer > w.config.nLayers()) {
                    throw new BadInputException("--exit-layer " + exitLayer + " is out of range: this model has layers 1.." + w.config.nLayers());
                }
                w = w.subModel(exitLayer);
            }
            // after choosing the sub-model, so that a mix picks its layers among the ones written
            if (recipe != null) w = w.convertMatrices(recipe, file.arena());
            String vocabularyNote = ""; // gguf says whether the file carries a vocabulary
            switch (f) {
                case HF -> {
                    if (file.ropeFreqDivisors() != null) {
                        throw new BadInputException(modelOptions.model + ": per-frequency rope divisors (rope_freqs) cannot be written to hf");
                    }
                    Files.createDirectories(out);
                    SafetensorsWriter.write(out, w, DType.F32);
                    copyTokenizer(modelOptions, out);
                }
                case GGUF -> {
                    VocabularyChoice v = ggufVocabulary(file);
                    Integer fileType = recipe != null ? Integer.valueOf(recipe.fileType()) : sourceFileType(file);
                    GgufWriter.write(out, w, file.ropeFreqDivisors(), v.vocabulary(), fileType);
                    vocabularyNote = v.note();
                }
                case LLAMA2C -> {
                    if (file.ropeFreqDivisors() != null) {
                        throw new BadInputException(modelOptions.model + ": per-frequency rope divisors (rope_freqs) cannot be written to llama2c");
                    }
                    Llama2cWriter.write(out, w, 1);
                }
            }
            spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s (%s, %d layers)%s%n", out, f.name().toLowerCase(Locale.ROOT),
                    w.config.nLayers(), vocabularyNote);
        }
        return 0;
    }

    /**
     * The source's llama_ftype when its matrices are written as they were read (a GGUF file's
     * {@code general.file_type}, e.g. 14 for Q4_K_S, which the types alone would not tell); null
     * otherwise, for the writer's guess from the types.
     */
    private static Integer sourceFileType(ModelFile file) {
        String given = file.metadata().get(ModelOptions.FILE_TYPE);
        if (given == null) return null;
        try {
            return Integer.valueOf(given);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The vocabulary to embed, or null, and what the printed line says about it. */
    private record VocabularyChoice(GgufVocabulary vocabulary, String note) {}

    /**
     * The tokenizer's vocabulary as GGUF embeds it, or none when there is no tokenizer or GGUF
     * cannot record how it works: the weights are still worth writing then. A tokenizer whose size
     * does not fit the model stays an error.
     */
    private VocabularyChoice ggufVocabulary(ModelFile file) {
        Tokenizer tokenizer = modelOptions.tokenizer(file);
        if (tokenizer == null) return new VocabularyChoice(null, " without vocabulary: no tokenizer found");
        try {
            GgufVocabulary v = Tokenizers.toGguf(tokenizer);
            return new VocabularyChoice(v, " with vocabulary of " + v.tokens().length + " tokens");
        } catch (BadInputException e) {
            return new VocabularyChoice(null, " without vocabulary: GGUF cannot hold this tokenizer: " + e.getMessage());
        }
    }

    /** Copies --tokenizer, or a tokenizer found beside --model, into the Hugging Face directory {@code out}. */
    static void copyTokenizer(ModelOptions modelOptions, Path out) throws IOException {
        Path source = modelOptions.tokenizer;
        if (source == null) {
            Path dir = Files.isDirectory(modelOptions.model) ? modelOptions.model : modelOptions.model.toAbsolutePath().getParent();
            for (String name : new String[] {"tokenizer.json", "tokenizer.model"}) {
                if (Files.isRegularFile(dir.resolve(name))) {
                    source = dir.resolve(name);
                    break;
                }
            }
        }
        if (source == null) return;
        String name = source.getFileName().toString();
        String target = name.endsWith(".json") ? "tokenizer.json" : name.endsWith(".model") ? "tokenizer.model" : name;
        if (!Files.isSameFile(source.toAbsolutePath().getParent(), out.toAbsolutePath()) || !name.equals(target)) {
            Files.copy(source, out.resolve(target), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
