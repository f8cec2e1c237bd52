package sortedllama.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sortedllama.BadInputException;
import sortedllama.io.FileBackedArena;
import sortedllama.io.ModelFile;
import sortedllama.io.SafetensorsWriter;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaConfig;
import sortedllama.tensor.DType;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.train.ClassifierTuning;
import sortedllama.train.ExitObjective;
import sortedllama.train.ExitSampling;
import sortedllama.train.LoraConfig;
import sortedllama.train.LoraFiles;
import sortedllama.train.LossPlot;
import sortedllama.train.MetricsLog;
import sortedllama.train.Param;
import sortedllama.train.Precision;
import sortedllama.train.TrainableModel;
import sortedllama.train.TrainingProgress;
import sortedllama.train.TrainingRun;
import sortedllama.train.checkpoint.Checkpoint;
import sortedllama.train.data.BatchMode;
import sortedllama.train.data.BadRecordPolicy;
import sortedllama.train.data.BadRecords;
import sortedllama.train.data.BatchStream;
import sortedllama.train.data.DataFormat;
import sortedllama.train.data.DataOptions;
import sortedllama.train.data.DataPosition;
import sortedllama.train.data.TrainingData;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fine-tune a model: sorted (SoFT: the mean cross-entropy of several exits",
                "sharing the final norm and head), standard (SFT: the last layer only) or ict",
                "(SFT+ICT: the backbone frozen, a head of its own trained for each exit below",
                "the last). Writes OUT/metrics.jsonl, OUT/loss.png, OUT/checkpoint/ (crash-safe,",
                "resumable with --resume) and the final model in OUT/model (Hugging Face safetensors F32;",
                "per-exit heads are stored beside lm_head and used at their exits by every",
                "command). With --lora-rank, trains LoRA adapters on a frozen base kept in its",
                "stored type; OUT/model is then the merged model and OUT/lora the adapter."})
public final class TrainCommand implements Callable<Integer> {
    public enum Method { SORTED, STANDARD, ICT }

    @Spec CommandSpec spec;
    @Mixin ModelOptions modelOptions;

    @Option(names = "--data", required = true, paramLabel = "PATH", description = "Training data file.")
    Path data;

    @Option(names = "--validation", paramLabel = "PATH",
            description = "Validation data in the same format (default: hold out --validation-fraction of --data).")
    Path validation;

    @Option(names = "--validation-fraction", paramLabel = "X", defaultValue = "0.05",
            description = "Share of --data held out for validation when no --validation is given (default: ${DEFAULT-VALUE}).")
    double validationFraction;

    @Option(names = "--format", required = true, paramLabel = "FMT", description = "alpaca (JSON array or JSONL), triviaqa (official file or Hugging Face's lower-case export), jsonl ({prompt, completion}) or text.")
    String format;

    @Option(names = "--method", paramLabel = "M", defaultValue = "sorted",
            description = {"sorted (SoFT: every exit of --exits, equally weighted), standard (last layer only) or ict",
                    "(start from an SFT model, freeze it, train one head per exit of --exits below the last). Default: ${DEFAULT-VALUE}."})
    String method;

    @Option(names = "--ict-shared-head",
            description = "With --method ict: train the model's single shared head and final norm on the sum of every exit's loss instead of a head per exit (a tied head is untied first).")
    boolean ictSharedHead;

    @Option(names = "--exits", paramLabel = "LIST", defaultValue = "all",
            description = "Exits to train (sorted) and to validate: 2,4,6 or every:4 or all; the last layer is always included. Default: ${DEFAULT-VALUE}.")
    String exits;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    static final class Length {
        @Option(names = "--steps", paramLabel = "N", description = "Optimizer steps.")
        Integer steps;

        @Option(names = "--epochs", paramLabel = "E", description = "Passes over the training data (may be fractional).")
        Double epochs;
    }

    @ArgGroup(exclusive = true) Length length;

    @Option(names = "--lr", paramLabel = "X", defaultValue = "" + TrainingRun.Settings.LEARNING_RATE,
            description = "Peak learning rate; linear warm-up then cosine decay to a tenth of it. Default: ${DEFAULT-VALUE}.")
    double lr;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "8", description = "Sequences per micro-batch. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--seq-len", paramLabel = "T", description = "Positions per sequence. Default: min(512, the model's context).")
    Integer seqLen;

    @Option(names = "--batching", paramLabel = "MODE", defaultValue = "pad",
            description = {"pad (one example per row, padded to the longest in its batch) or pack (examples end to end in",
                    "rows of --seq-len, attention kept within each; the demo packs). Default: ${DEFAULT-VALUE}."})
    String batching;

    @Option(names = "--accumulate", paramLabel = "K", defaultValue = "" + TrainingRun.Settings.ACCUMULATE,
            description = "Micro-batches per optimizer step (gradient accumulation). Default: ${DEFAULT-VALUE}.")
    int accumulate;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "Shuffle seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--warmup", paramLabel = "N", description = "Warm-up steps. Default: 5%% of the steps, rounded down.")
    Integer warmup;

    @Option(names = "--weight-decay", paramLabel = "W", defaultValue = "" + TrainingRun.Settings.WEIGHT_DECAY,
            description = "AdamW decoupled weight decay on matrices. Default: ${DEFAULT-VALUE} (the demo uses 0.1).")
    double weightDecay;

    @Option(names = "--clip", paramLabel = "C", defaultValue = "" + TrainingRun.Settings.MAX_GRAD_NORM,
            description = "Clip the global gradient norm to C (0: off). Default: ${DEFAULT-VALUE}.")
    double clip;

    @Option(names = "--exits-per-step", paramLabel = "N",
            description = {"Sorted only: train N of --exits per micro-batch, drawn afresh (seeded) for each micro-batch and",
                    "weighted so that the expected loss is the mean over all the exits (see --exit-sampling). Default: all."})
    Integer exitsPerStep;

    @Option(names = "--exit-sampling", paramLabel = "MODE",
            description = {"With --exits-per-step: uniform (SortedNet: N exits uniformly, equally weighted) or keep-last",
                    "(the last layer every time, weighted 1/|exits|, and N-1 others, each weighted (|exits|-1)/(|exits|(N-1))).",
                    "Both are unbiased estimates of the mean over all exits. Default: uniform."})
    String exitSampling;

    @Option(names = "--checkpoint-every", paramLabel = "N", defaultValue = "0",
            description = "Write OUT/checkpoint every N steps (0: only at the end). Default: ${DEFAULT-VALUE}.")
    int checkpointEvery;

    @Option(names = "--resume", description = "Continue from the newest complete checkpoint in OUT/checkpoint (the options must be the same).")
    boolean resume;

    @Option(names = "--overwrite",
            description = "Without --resume: delete a checkpoint already in OUT/checkpoint and start afresh (by default such a run is refused).")
    boolean overwrite;

    @Option(names = "--on-bad-record", paramLabel = "P", defaultValue = "fail",
            description = "A malformed record (bad JSON, a missing or mistyped field): fail naming its line, or skip it, counted and "
                    + "reported (up to " + BadRecords.MAX_SKIPPED_DEFAULT + " records; more fail). Default: ${DEFAULT-VALUE}.")
    String onBadRecord;

    @Option(names = "--eval-every", paramLabel = "N", defaultValue = "0",
            description = "Validation loss every N steps (0: only at the end). Default: ${DEFAULT-VALUE}.")
    int evalEvery;

    @Option(names = "--stop-after", paramLabel = "N", hidden = true,
            description = "Stop (with a checkpoint) after step N, as if interrupted; for testing --resume.")
    Integer stopAfter;

    @Option(names = "--activation-checkpointing",
            description = "Keep only each layer's input and recompute its activations in the backward: memory for one layer's "
                    + "activations instead of all layers', for about a third more compute; the same bits either way.")
    boolean activationCheckpointing;

    @Option(names = "--precision", paramLabel = "P", defaultValue = "f32",
            description = "Arithmetic of the matrix products: f32, or bf16 (operands rounded to BF16, sums in float32, on AMX tiles; "
                    + "master weights, AdamW's state, norms, softmax and losses stay float32; a BF16/F16 LoRA base is read as stored). "
                    + "Needs a CPU with AMX-BF16. Default: ${DEFAULT-VALUE}, the reference arithmetic (see BENCHMARKS.md for bf16's speed and loss).")
    String precision;

    @Option(names = "--lora-rank", paramLabel = "R",
            description = "Train LoRA adapters of rank R instead of the whole model: the base stays frozen in its stored type "
                    + "(BF16, F16...), and only the adapters, norms excluded, train. Default: off (full fine-tuning).")
    Integer loraRank;

    @Option(names = "--lora-alpha", paramLabel = "A",
            description = "LoRA scale numerator: the update is (A / R) B A. Default: 2 R.")
    Double loraAlpha;

    @Option(names = "--lora-targets", paramLabel = "LIST", defaultValue = LoraConfig.ALL_TARGETS,
            description = "Projections that get adapters, of q,k,v,o,gate,up,down. Default: all of them (${DEFAULT-VALUE}).")
    String loraTargets;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Under LoRA, the base model's file: its tensors are the frozen weights, so it stays open while training. */
    private ModelFile loraBase;

    @Override
    public Integer call() throws IOException {
        try {
            return train();
        } finally {
            if (loraBase != null) loraBase.close();
        }
    }

    private Integer train() throws IOException {
        PrintWriter log = spec.commandLine().getOut();
        Method m = parseEnum(Method.class, method, "--method");
        DataFormat dataFormat = parseEnum(DataFormat.class, format, "--format");
        BatchMode batchMode = parseEnum(BatchMode.class, batching, "--batching");
        if (!Files.isRegularFile(data)) throw new BadInputException("--data " + data + " does not exist");
        if (validation != null && !Files.isRegularFile(validation)) throw new BadInputException("--validation " + validation + " does not exist");
        if (batch < 1) throw new BadInputException("--batch must be at least 1, got " + batch);
        if (length != null && length.steps != null && length.steps < 1) throw new BadInputException("--steps must be at least 1, got " + length.steps);
        if (length != null && length.epochs != null && !(length.epochs > 0)) throw new BadInputException("--epochs must be positive, got " + length.epochs);
        if (ictSharedHead && m != Method.ICT) throw new BadInputException("--ict-shared-head needs --method ict");
        if (exitsPerStep != null && m != Method.SORTED) throw new BadInputException("--exits-per-step needs --method sorted");
        if (exitsPerStep != null && exitsPerStep < 1) throw new BadInputException("--exits-per-step must be at least 1, got " + exitsPerStep);
        if (exitSampling != null && exitsPerStep == null) throw new BadInputException("--exit-sampling needs --exits-per-step");
        if (checkpointEvery < 0 || evalEvery < 0) throw new BadInputException("--checkpoint-every and --eval-every must be >= 0");
        LoraConfig lora = loraConfig();
        if (lora != null && m == Method.ICT) {
            throw new BadInputException("--lora-rank does not apply to --method ict: ICT trains only heads, the layers stay frozen");
        }
        TrainingRun.Settings settings = runSettings();

        TrainableModel model;
        Tokenizer tokenizer;
        Path tokenizerFile;
        ModelFile file = modelOptions.open();
        try {
            tokenizer = modelOptions.requireTokenizer(file, "needed to read --data");
            tokenizerFile = tokenizerFile(file);
            if (file.ropeFreqDivisors() != null) { // SafetensorsWriter cannot store them: refuse before hours of training
                throw new BadInputException(modelOptions.model + ": a model with rope_freqs.weight cannot be written to OUT/model after training");
            }
            if (lora == null) {
                model = TrainableModel.fromWeights(file.weights(), file.ropeFreqDivisors());
            } else {
                model = TrainableModel.withStoredProjections(file.weights(), file.ropeFreqDivisors());
                lora.attach(model, seed);
                loraBase = file;
            }
        } finally {
            if (loraBase == null) file.close();
        }
        LlamaConfig c = model.config;
        int T = seqLen != null ? seqLen : Math.min(512, c.contextLength());
        if (T < 1) throw new BadInputException("--seq-len must be at least 1, got " + T);
        if (T > c.contextLength()) throw new BadInputException("--seq-len " + T + " exceeds the model's context of " + c.contextLength());
        ExitSet set = ExitSet.parse(exits, c.nLayers()).withLast(c.nLayers());
        ExitObjective objective = switch (m) {
            case SORTED -> ExitObjective.equal(set);
            case STANDARD -> ExitObjective.lastLayer(c);
            case ICT -> ClassifierTuning.prepare(model, set, ictSharedHead);
        };

        DataOptions dataOptions = DataOptions.defaults(dataFormat, T, batch).withBatching(batchMode).withSeed(seed)
                .withOnBadRecord(parseEnum(BadRecordPolicy.class, onBadRecord, "--on-bad-record"))
                .withValidationFraction(validation != null ? 0 : validationFraction);
        TrainingData trainingData = TrainingData.load(data, validation, tokenizer, dataOptions, log::println);
        int totalSteps = totalSteps(trainingData);
        TrainingRun run = new TrainingRun(model, objective, settings, totalSteps);

        Path checkpointDir = out.resolve("checkpoint");
        ObjectNode options = optionsJson(m, dataFormat, T);
        Files.createDirectories(out);
        Path metricsFile = out.resolve("metrics.jsonl");
        DataPosition start = DataPosition.START;
        if (resume) {
            ObjectNode saved = Checkpoint.options(checkpointDir);
            if (!saved.equals(options)) {
                throw new BadInputException("cannot resume from " + checkpointDir + ": the options differ from the checkpoint's ("
                        + differences(saved, options) + ")");
            }
            start = Checkpoint.load(checkpointDir, model, run.trainer()).position();
            log.printf("resuming at step %d (%s)%n", run.trainer().steps(), start);
            MetricsLog.truncateAfter(metricsFile, run.trainer().steps());
        } else {
            Checkpoint.claim(checkpointDir, overwrite);
            Files.deleteIfExists(metricsFile);
        }
        BatchStream batches = trainingData.batches(start);

        log.printf(Locale.ROOT, "training %,d parameters%s, %s, %d steps of %d x %d x %d tokens, lr %.2e%n",
                model.trainingParams().stream().filter(Param::trainable).mapToLong(Param::size).sum(),
                lora == null ? "" : " (LoRA rank " + lora.rank() + ", alpha " + lora.alpha() + " on " + lora.targetList() + ")",
                switch (m) {
                    case SORTED -> "sorted, exits " + set + (exitsPerStep == null ? ""
                            : ", " + exitsPerStep + " per micro-batch (" + settings.exitSampling().modeName() + ")");
                    case STANDARD -> "standard";
                    case ICT -> "ict, backbone frozen, " + (ictSharedHead ? "one shared head for exits " + set
                            : "heads of their own for exits " + Arrays.toString(objective.exits()));
                }, totalSteps, accumulate, batch, T, lr);
        try (MetricsLog metrics = new MetricsLog(metricsFile);
             TrainingProgress progress = new TrainingProgress("train", totalSteps, run.trainer().steps())) {
            run.train(batches, stopAfter != null ? stopAfter : totalSteps,
                    new TrainingRun.Validation(ExitObjective.equal(set), trainingData.validationBatches(), evalEvery),
                    new TrainingRun.Checkpoints(checkpointEvery,
                            trainer -> Checkpoint.save(checkpointDir, model, trainer, batches.position(), options)),
                    TrainingRun.Listener.both(metrics, progress));
        }
        if (run.trainer().steps() < totalSteps) {
            log.printf("stopped after step %d of %d; continue with --resume%n", run.trainer().steps(), totalSteps);
            return 0;
        }
        LossPlot.write(metricsFile, out.resolve("loss.png"));
        writeModel(model, lora, m == Method.STANDARD ? null : set, tokenizerFile, log);
        return 0;
    }

    /**
     * OUT/model (and under LoRA OUT/lora, the adapter alone). A sorted or exit-tuned model records its
     * exits ({@code exits}), the default exit set of generate, serve and bench.
     */
    private void writeModel(TrainableModel model, LoraConfig lora, ExitSet exits, Path tokenizerFile, PrintWriter log) throws IOException {
        Path modelDir = out.resolve("model");
        Files.createDirectories(modelDir);
        if (lora != null) {
            ObjectNode about = JSON.createObjectNode();
            about.put("base_model", modelOptions.model.toAbsolutePath().normalize().toString());
            about.put("quantize", modelOptions.quantize);
            if (exits != null) about.put("sorted_exits", String.join(",", Arrays.stream(exits.layers()).mapToObj(String::valueOf).toList()));
            LoraFiles.save(out.resolve("lora"), model, lora, about);
            log.printf("LoRA adapter written to %s%n", out.resolve("lora"));
        }
        // under LoRA the adapters are merged into their projections: a plain model, built in a file-backed arena (FileBackedArena)
        try (Arena arena = lora == null ? Arena.ofShared() : new FileBackedArena(out)) {
            SafetensorsWriter.write(modelDir, model.toWeights(arena), DType.F32, exits);
        }
        if (tokenizerFile != null) {
            String name = tokenizerFile.getFileName().toString();
            Files.copy(tokenizerFile, modelDir.resolve(name.endsWith(".json") ? "tokenizer.json" : name.endsWith(".model") ? "tokenizer.model" : name),
                    StandardCopyOption.REPLACE_EXISTING);
        }
        log.printf("model written to %s%n", modelDir);
    }

    /** The loop's settings from the options (their checks included). */
    private TrainingRun.Settings runSettings() {
        var sampling = exitsPerStep == null ? ExitSampling.ALL
                : new ExitSampling(exitsPerStep, ExitSampling.parseMode(exitSampling == null ? "uniform" : exitSampling), seed);
        return new TrainingRun.Settings(lr, warmup, weightDecay, clip, accumulate, sampling, activationCheckpointing,
                parseEnum(Precision.class, precision, "--precision"));
    }

    /** The number of optimizer steps: --steps, or --epochs (default 1) over the batches of the first epoch. */
    private int totalSteps(TrainingData trainingData) {
        if (length != null && length.steps != null) return length.steps;
        int batchesInEpoch = trainingData.batches(DataPosition.START).batchesInEpoch();
        double epochs = length != null && length.epochs != null ? length.epochs : 1.0;
        return (int) Math.max(1, Math.ceil(epochs * batchesInEpoch / accumulate));
    }

    /** The LoRA options, checked; null without --lora-rank. */
    private LoraConfig loraConfig() {
        if (loraRank == null) {
            if (loraAlpha != null) throw new BadInputException("--lora-alpha needs --lora-rank");
            if (!loraTargets.equals(LoraConfig.ALL_TARGETS)) throw new BadInputException("--lora-targets needs --lora-rank");
            return null;
        }
        if (loraRank < 1) throw new BadInputException("--lora-rank must be at least 1, got " + loraRank);
        return new LoraConfig(loraRank, loraAlpha != null ? loraAlpha : LoraConfig.defaultAlpha(loraRank), LoraConfig.parseTargets(loraTargets));
    }

    /** The options that decide the run's result (not where it writes, how often it checkpoints or evaluates). */
    private ObjectNode optionsJson(Method m, DataFormat dataFormat, int T) {
        ObjectNode o = JSON.createObjectNode();
        o.put("model", modelOptions.model.toAbsolutePath().normalize().toString());
        o.put("tokenizer", modelOptions.tokenizer == null ? null : modelOptions.tokenizer.toAbsolutePath().normalize().toString());
        o.put("quantize", modelOptions.quantize);
        o.put("data", data.toAbsolutePath().normalize().toString());
        o.put("validation", validation == null ? null : validation.toAbsolutePath().normalize().toString());
        o.put("validation_fraction", validation == null ? validationFraction : 0);
        o.put("format", dataFormat.name().toLowerCase(Locale.ROOT));
        o.put("method", m.name().toLowerCase(Locale.ROOT));
        o.put("exits", exits);
        o.put("steps", length == null ? null : length.steps);
        o.put("epochs", length == null ? null : length.epochs);
        o.put("lr", lr);
        o.put("batch", batch);
        if (!batching.equalsIgnoreCase("pad")) o.put("batching", batching.strip().toLowerCase(Locale.ROOT)); // absent: checkpoints from before the option
        o.put("seq_len", T);
        o.put("accumulate", accumulate);
        o.put("seed", seed);
        o.put("warmup", warmup);
        o.put("weight_decay", weightDecay);
        o.put("clip", clip);
        o.put("exits_per_step", exitsPerStep);
        if (exitsPerStep != null) o.put("exit_sampling", ExitSampling.parseMode(exitSampling == null ? "uniform" : exitSampling).name());
        o.put("ict_shared_head", ictSharedHead);
        if (!precision.equalsIgnoreCase("f32")) o.put("precision", precision.strip().toLowerCase(Locale.ROOT)); // absent: checkpoints from before the option
        if (!onBadRecord.equalsIgnoreCase("fail")) o.put("on_bad_record", onBadRecord.strip().toLowerCase(Locale.ROOT)); // skipping changes the data
        if (loraRank != null) { // only under LoRA: a full fine-tuning checkpoint keeps the options it had
            o.put("lora_rank", loraRank);
            o.put("lora_alpha", loraConfig().alpha());
            o.put("lora_targets", loraConfig().targetList());
        }
        try { // as read back from state.json, so that equal options compare equal (42L and 42 are different nodes)
            return (ObjectNode) JSON.readTree(JSON.writeValueAsString(o));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String differences(ObjectNode saved, ObjectNode now) {
        List<String> diffs = new ArrayList<>();
        saved.fieldNames().forEachRemaining(k -> {
            if (!saved.get(k).equals(now.get(k))) diffs.add(k + " " + saved.get(k) + " -> " + now.get(k));
        });
        now.fieldNames().forEachRemaining(k -> {
            if (!saved.has(k)) diffs.add(k + " (new)");
        });
        return String.join(", ", diffs);
    }

    /** The tokenizer file to copy beside the exported model: --tokenizer, or one found beside the model. */
    private Path tokenizerFile(ModelFile file) {
        if (modelOptions.tokenizer != null) return modelOptions.tokenizer;
        if (file.embeddedTokenizer() != null) return null;
        Path dir = Files.isDirectory(modelOptions.model) ? modelOptions.model : modelOptions.model.toAbsolutePath().getParent();
        for (String name : new String[] {"tokenizer.json", "tokenizer.model"}) {
            if (Files.isRegularFile(dir.resolve(name))) return dir.resolve(name);
        }
        return null;
    }

    static <E extends Enum<E>> E parseEnum(Class<E> type, String value, String option) {
        try {
            return Enum.valueOf(type, value.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            List<String> names = new ArrayList<>();
            for (E c : type.getEnumConstants()) names.add(c.name().toLowerCase(Locale.ROOT));
            throw new BadInputException(option + ": unknown value \"" + value + "\" (" + String.join(", ", names) + ")");
        }
    }
}
