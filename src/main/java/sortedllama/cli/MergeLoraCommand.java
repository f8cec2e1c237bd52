package sortedllama.cli;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sortedllama.BadInputException;
import sortedllama.io.FileBackedArena;
import sortedllama.io.GgufWriter;
import sortedllama.io.ModelFile;
import sortedllama.io.SafetensorsWriter;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaWeights;
import sortedllama.tensor.DType;
import sortedllama.train.LoraConfig;
import sortedllama.train.LoraFiles;
import sortedllama.train.TrainableModel;

@Command(name = "merge-lora", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Merge a LoRA adapter (OUT/lora of train --lora-rank) into its base model and write a plain model.",
                "Each adapted projection becomes W + (alpha / rank) B A in float32; every other tensor is the base's."})
public final class MergeLoraCommand implements Callable<Integer> {
    public enum Format { HF, GGUF }

    @Spec CommandSpec spec;
    @Mixin ModelOptions modelOptions;

    @Option(names = "--lora", required = true, paramLabel = "DIR",
            description = "The adapter directory (adapter.json + adapter.safetensors), e.g. OUT/lora of a train run.")
    Path lora;

    @Option(names = "--out", required = true, paramLabel = "PATH",
            description = "Output: a directory for hf (config.json + model.safetensors), a file for gguf.")
    Path out;

    @Option(names = "--format", paramLabel = "FMT", defaultValue = "hf",
            description = "hf (safetensors, float32) or gguf (merged matrices float32, the others keep their stored type). "
                    + "Default: ${DEFAULT-VALUE}.")
    String format;

    @Override
    public Integer call() throws IOException {
        Format f = TrainCommand.parseEnum(Format.class, format, "--format");
        if (!Files.isDirectory(lora)) throw new BadInputException("--lora " + lora + " is not a directory");
        try (ModelFile file = modelOptions.open()) {
            LlamaWeights base = file.weights();
            TrainableModel model = TrainableModel.withStoredProjections(base, file.ropeFreqDivisors());
            LoraConfig config = LoraFiles.load(lora, model);
            if (f == Format.HF && file.ropeFreqDivisors() != null) {
                throw new BadInputException(modelOptions.model + ": per-frequency rope divisors (rope_freqs) cannot be written to hf");
            }
            // the merged projections are float32 copies: in a temporary file beside the output, not in RAM (FileBackedArena)
            Path scratchDir = f == Format.HF ? out : out.toAbsolutePath().getParent();
            try (Arena arena = new FileBackedArena(scratchDir)) {
                // the adapted layers from the model; embedding, final norm and head are the base's tensors as stored
                LlamaWeights trained = model.toWeights(arena);
                LlamaWeights merged = new LlamaWeights(base.config, base.tokenEmbedding, trained.layers, base.finalNorm, base.output);
                switch (f) {
                    case HF -> {
                        SafetensorsWriter.write(out, merged, DType.F32, sortedExits(file));
                        ExportCommand.copyTokenizer(modelOptions, out);
                    }
                    case GGUF -> GgufWriter.write(out, merged, file.ropeFreqDivisors(), null);
                }
            }
            spec.commandLine().getOut().printf(Locale.ROOT, "merged LoRA rank %d (alpha %s, %s) into %s: wrote %s (%s)%n",
                    config.rank(), config.alpha(), config.targetList(), modelOptions.model, out, f.name().toLowerCase(Locale.ROOT));
        }
        return 0;
    }

    /** The exits the adapter was sorted-tuned at, else those the base records, else none. */
    private ExitSet sortedExits(ModelFile file) {
        var saved = LoraFiles.readJson(lora).get("sorted_exits");
        if (saved != null && !saved.isNull()) return ExitSet.parse(saved.asText(), file.config().nLayers());
        return file.metadata().containsKey(ModelFile.SORTED_EXITS) ? file.exitSet() : null;
    }
}
