package sortedllama.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
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
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaWeights;
import sortedllama.tensor.DType;

@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write a model in another format, whole or as the standalone sub-model of one exit.",
                "A sub-model holds the first K layers, the final norm and the head."})
public final class ExportCommand implements Callable<Integer> {
    public enum Format { HF, GGUF, LLAMA2C }

    @Spec CommandSpec spec;
    @Mixin ModelOptions modelOptions;

    @Option(names = "--out", required = true, paramLabel = "PATH",
            description = "Output: a directory for hf (config.json + model.safetensors), a file for gguf and llama2c.")
    Path out;

    @Option(names = "--format", required = true, paramLabel = "FMT",
            description = "hf (safetensors, float32), gguf (matrices keep their stored type) or llama2c (version 1, float32).")
    String format;

    @Option(names = "--exit-layer", paramLabel = "K", description = "Write only the sub-model of exit K (default: the whole model).")
    Integer exitLayer;

    @Override
    public Integer call() throws IOException {
        Format f = TrainCommand.parseEnum(Format.class, format, "--format");
        try (ModelFile file = modelOptions.open()) {
            LlamaWeights w = file.weights();
            if (exitLayer != null) w = truncate(w, exitLayer);
            switch (f) {
                case HF -> {
                    if (file.ropeFreqDivisors() != null) {
                        throw new BadInputException(modelOptions.model + ": per-frequency rope divisors (rope_freqs) cannot be written to hf");
                    }
                    Files.createDirectories(out);
                    SafetensorsWriter.write(out, w, DType.F32);
                    copyTokenizer(modelOptions, out);
                }
                case GGUF -> GgufWriter.write(out, w, file.ropeFreqDivisors(), null);
                case LLAMA2C -> {
                    if (file.ropeFreqDivisors() != null) {
                        throw new BadInputException(modelOptions.model + ": per-frequency rope divisors (rope_freqs) cannot be written to llama2c");
                    }
                    Llama2cWriter.write(out, w, 1);
                }
            }
            spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s (%s, %d layers)%n", out, f.name().toLowerCase(Locale.ROOT),
                    w.config.nLayers());
        }
        return 0;
    }

    /** The standalone model of exit {@code k}: layers 1..k, the final norm and the head, config nLayers = k. */
    static LlamaWeights truncate(LlamaWeights w, int k) {
        LlamaConfig c = w.config;
        if (k < 1 || k > c.nLayers()) {
            throw new BadInputException("--exit-layer " + k + " is out of range: this model has layers 1.." + c.nLayers());
        }
        LlamaConfig sub = new LlamaConfig(c.dim(), c.hiddenDim(), k, c.nHeads(), c.nKvHeads(), c.headDim(), c.vocabSize(),
                c.contextLength(), c.normEps(), c.ropeTheta(), c.ropeScaling(), c.ropeLayout(), c.bosId(), c.eosId());
        return new LlamaWeights(sub, w.tokenEmbedding, Arrays.copyOf(w.layers, k), w.finalNorm, w.output);
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
