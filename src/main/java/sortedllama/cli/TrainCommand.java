package sortedllama.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;
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
import sortedllama.train.AdamW;
import sortedllama.train.Batch;
import sortedllama.train.ClassifierTuning;
import sortedllama.train.ExitLosses;
import sortedllama.train.ExitObjective;
import sortedllama.train.LoraConfig;
import sortedllama.train.LoraFiles;
import sortedllama.train.LrSchedule;
import sortedllama.train.TrainableModel;
import sortedllama.train.Trainer;
import sortedllama.train.checkpoint.Checkpoint;
import sortedllama.train.data.BatchStream;
import sortedllama.train.data.DataFormat;
import sortedllama.train.data.DataOptions;
import sortedllama.train.data.DataPosition;
import sortedllama.train.data.TrainingData;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fine-tune a model: sorted (SoFT: the mean cross-entropy of several exits",
                "sharing the final norm and head), standard (SFT: the last layer only) or ict",
                "(SFT+ICT: the backbone frozen, a head of its own trained for each exit below",
                "the last). Writes OUT/metrics.jsonl, OUT/loss.png, OUT/checkpoint/ (resumable",
                "with --resume) and the final model in OUT/model (Hugging Face safetensors F32;",
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

    @Option(names = "--lr", paramLabel = "X", defaultValue = "3e-4",
            description = "Peak learning rate; linear warm-up then cosine decay to a tenth of it. Default: ${DEFAULT-VALUE}.")
    double lr;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "8", description = "Sequences per micro-batch. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--seq-len", paramLabel = "T", description = "Positions per sequence. Default: min(512, the model's context).")
    Integer seqLen;

    @Option(names = "--accumulate", paramLabel = "K", defaultValue = "1",
            description = "Micro-batches per optimizer step (gradient accumulation). Default: ${DEFAULT-VALUE}.")
    int accumulate;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "Shuffle seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--warmup", paramLabel = "N", description = "Warm-up steps. Default: 5%% of the steps.")
    Integer warmup;

    @Option(names = "--weight-decay", paramLabel = "W", defaultValue = "0.0",
            description = "AdamW decoupled weight decay on matrices. Default: ${DEFAULT-VALUE}.")
    double weightDecay;

    @Option(names = "--clip", paramLabel = "C", defaultValue = "1.0",
            description = "Clip the global gradient norm to C (0: off). Default: ${DEFAULT-VALUE}.")
    double clip;

    @Option(names = "--exits-per-step", paramLabel = "N",
            description = "Sorted only: train N exits per step, drawn at random (seeded) from --exits, always with the last layer.")
    Integer exitsPerStep;

    @Option(names = "--checkpoint-every", paramLabel = "N", defaultValue = "0",
            description = "Write OUT/checkpoint every N steps (0: only at the end). Default: ${DEFAULT-VALUE}.")
    int checkpointEvery;

    @Option(names = "--resume", description = "Continue from OUT/checkpoint (the options must be the same).")
    boolean resume;

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
        if (!Files.isRegularFile(data)) throw new BadInputException("--data " + data + " does not exist");
        if (validation != null && !Files.isRegularFile(validation)) throw new BadInputException("--validation " + validation + " does not exist");
        if (batch < 1) throw new BadInputException("--batch must be at least 1, got " + batch);
        if (accumulate < 1) throw new BadInputException("--accumulate must be at least 1, got " + accumulate);
        if (checkpointEvery < 0 || evalEvery < 0) throw new BadInputException("--checkpoint-every and --eval-every must be >= 0");
        if (!(lr > 0)) throw new BadInputException("--lr must be positive, got " + lr);
        if (length != null && length.steps != null && length.steps < 1) throw new BadInputException("--steps must be at least 1, got " + length.steps);
        if (length != null && length.epochs != null && !(length.epochs > 0)) throw new BadInputException("--epochs must be positive, got " + length.epochs);
        LoraConfig lora = loraConfig();
        if (lora != null && m == Method.ICT) {
            throw new BadInputException("--lora-rank does not apply to --method ict: ICT trains only heads, the layers stay frozen");
        }

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
        if (ictSharedHead && m != Method.ICT) throw new BadInputException("--ict-shared-head needs --method ict");
        ExitObjective objective = switch (m) {
            case SORTED -> ExitObjective.equal(set);
            case STANDARD -> ExitObjective.lastLayer(c);
            case ICT -> ClassifierTuning.prepare(model, set, ictSharedHead);
        };
        ExitObjective validationObjective = ExitObjective.equal(set);
        if (exitsPerStep != null) {
            if (m != Method.SORTED) throw new BadInputException("--exits-per-step needs --method sorted");
            if (exitsPerStep < 1 || exitsPerStep > set.layers().length) {
                throw new BadInputException("--exits-per-step must be in 1.." + set.layers().length + " (the exits " + set + "), got " + exitsPerStep);
            }
        }

        DataOptions dataOptions = DataOptions.defaults(dataFormat, T, batch).withSeed(seed)
                .withValidationFraction(validation != null ? 0 : validationFraction);
        TrainingData trainingData = TrainingData.load(data, validation, tokenizer, dataOptions, log::println);
        List<Batch> validationBatches = trainingData.validationBatches();

        Path checkpointDir = out.resolve("checkpoint");
        ObjectNode options = optionsJson(m, dataFormat, T);
        DataPosition start = DataPosition.START;
        // the number of steps: from --steps, or --epochs over the batches of the first epoch
        BatchStream probe = trainingData.batches(DataPosition.START);
        int totalSteps = length != null && length.steps != null ? length.steps
                : (int) Math.max(1, Math.ceil((length != null && length.epochs != null ? length.epochs : 1.0) * probe.batchesInEpoch() / accumulate));
        int warm = warmup != null ? warmup : totalSteps / 20;
        if (warm < 0 || warm > totalSteps) throw new BadInputException("--warmup must be in 0.." + totalSteps + ", got " + warm);
        var schedule = new LrSchedule(lr, lr / 10, warm, totalSteps, LrSchedule.Decay.COSINE);
        var adamW = new AdamW.Settings(0.9, 0.95, 1e-8, weightDecay);
        if (clip < 0) throw new BadInputException("--clip must be >= 0, got " + clip);
        Trainer trainer = new Trainer(model, objective, new Trainer.Settings(schedule, adamW, clip, activationCheckpointing));

        Files.createDirectories(out);
        Path metricsFile = out.resolve("metrics.jsonl");
        if (resume) {
            ObjectNode saved = Checkpoint.options(checkpointDir);
            if (!saved.equals(options)) {
                throw new BadInputException("cannot resume from " + checkpointDir + ": the options differ from the checkpoint's ("
                        + differences(saved, options) + ")");
            }
            start = Checkpoint.load(checkpointDir, model, trainer).position();
            log.printf("resuming at step %d (%s)%n", trainer.steps(), start);
            if (Files.isRegularFile(metricsFile)) { // drop what an interrupted run logged after its last checkpoint
                List<String> kept = new ArrayList<>();
                for (String line : Files.readAllLines(metricsFile)) {
                    if (!line.isBlank() && JSON.readTree(line).get("step").asInt() <= trainer.steps()) kept.add(line);
                }
                Files.write(metricsFile, kept);
            }
        } else {
            if (Checkpoint.exists(checkpointDir)) {
                throw new BadInputException(out + " already holds a checkpoint: give --resume to continue it, or another --out");
            }
            Files.deleteIfExists(metricsFile);
        }
        BatchStream batches = trainingData.batches(start);
        int stopAt = stopAfter != null ? Math.min(stopAfter, totalSteps) : totalSteps;

        if (trainer.steps() == 0) {
            try (BufferedWriter metrics = Files.newBufferedWriter(metricsFile, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND)) {
                evaluate(trainer, validationObjective, validationBatches, 0, metrics); // the starting point of the curves
            }
        }
        log.printf(Locale.ROOT, "training %,d parameters%s, %s, %d steps of %d x %d x %d tokens, lr %.2e%n",
                model.trainingParams().stream().filter(sortedllama.train.Param::trainable).mapToLong(sortedllama.train.Param::size).sum(),
                lora == null ? "" : " (LoRA rank " + lora.rank() + ", alpha " + lora.alpha() + " on " + lora.targetList() + ")",
                switch (m) {
                    case SORTED -> "sorted, exits " + set;
                    case STANDARD -> "standard";
                    case ICT -> "ict, backbone frozen, " + (ictSharedHead ? "one shared head for exits " + set
                            : "heads of their own for exits " + java.util.Arrays.toString(objective.exits()));
                }, totalSteps, accumulate, batch, T, lr);
        try (BufferedWriter metrics = Files.newBufferedWriter(metricsFile, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
             ProgressBar bar = new ProgressBarBuilder().setTaskName("train").setInitialMax(totalSteps)
                     .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).continuousUpdate()
                     .startsFrom(trainer.steps(), java.time.Duration.ZERO).build()) {
            while (trainer.steps() < stopAt) {
                List<Batch> micro = new ArrayList<>(accumulate);
                long tokens = 0;
                for (int i = 0; i < accumulate; i++) {
                    Batch b = batches.next();
                    tokens += b.countedTargets();
                    micro.add(b);
                }
                long t0 = System.nanoTime();
                ExitObjective stepObjective = sample(objective, trainer.steps());
                Trainer.StepResult r = trainer.step(micro, stepObjective);
                double tokensPerSecond = tokens / Math.max(1e-9, (System.nanoTime() - t0) / 1e9);
                int done = trainer.steps();
                ObjectNode row = JSON.createObjectNode();
                row.put("step", done);
                row.put("lr", r.lr());
                row.put("loss", r.loss());
                ObjectNode per = row.putObject("exit_loss");
                for (int e = 0; e < stepObjective.exits().length; e++) {
                    per.put(Integer.toString(stepObjective.exits()[e]), r.perExitLoss()[e]);
                }
                row.put("grad_norm", r.gradNorm());
                row.put("tokens_per_s", tokensPerSecond);
                writeRow(metrics, row);
                StringBuilder msg = new StringBuilder();
                for (int e = 0; e < stepObjective.exits().length; e++) {
                    msg.append(String.format(Locale.ROOT, "L%d %.3f ", stepObjective.exits()[e], r.perExitLoss()[e]));
                }
                bar.setExtraMessage(msg.append(String.format(Locale.ROOT, "%.0f tok/s", tokensPerSecond)).toString());
                bar.stepTo(done);
                boolean last = done == totalSteps;
                if ((evalEvery > 0 && done % evalEvery == 0) || last) {
                    evaluate(trainer, validationObjective, validationBatches, done, metrics);
                }
                if ((checkpointEvery > 0 && done % checkpointEvery == 0) || done == stopAt) {
                    metrics.flush();
                    Checkpoint.save(checkpointDir, model, trainer, batches.position(), options);
                }
            }
        }
        if (trainer.steps() < totalSteps) {
            log.printf("stopped after step %d of %d; continue with --resume%n", trainer.steps(), totalSteps);
            return 0;
        }
        plot(metricsFile, out.resolve("loss.png"));
        Path modelDir = out.resolve("model");
        Files.createDirectories(modelDir);
        if (lora != null) {
            ObjectNode about = JSON.createObjectNode();
            about.put("base_model", modelOptions.model.toAbsolutePath().normalize().toString());
            about.put("quantize", modelOptions.quantize);
            if (m != Method.STANDARD) {
                about.put("sorted_exits", String.join(",", java.util.Arrays.stream(set.layers()).mapToObj(String::valueOf).toList()));
            }
            LoraFiles.save(out.resolve("lora"), model, lora, about);
            log.printf("LoRA adapter written to %s%n", out.resolve("lora"));
        }
        // under LoRA the adapters are merged into their projections: a plain model, built in a file-backed arena (FileBackedArena)
        try (Arena arena = lora == null ? Arena.ofShared() : new FileBackedArena(out)) {
            // a sorted (or exit-tuned) model records its exits, the default exit set of generate, serve and bench
            SafetensorsWriter.write(modelDir, model.toWeights(arena), DType.F32, m == Method.STANDARD ? null : set);
        }
        if (tokenizerFile != null) {
            Files.copy(tokenizerFile, modelDir.resolve(tokenizerFile.getFileName().toString().endsWith(".json") ? "tokenizer.json"
                    : tokenizerFile.getFileName().toString().endsWith(".model") ? "tokenizer.model" : tokenizerFile.getFileName().toString()),
                    StandardCopyOption.REPLACE_EXISTING);
        }
        log.printf("model written to %s%n", modelDir);
        return 0;
    }

    /**
     * The step's objective: all of {@code full}, or with --exits-per-step N the last layer and N - 1 other
     * exits drawn without replacement by a generator seeded by (seed, step), so a resumed run draws the same.
     */
    private ExitObjective sample(ExitObjective full, int step) {
        int[] all = full.exits();
        if (exitsPerStep == null || exitsPerStep >= all.length) return full;
        var random = new java.util.SplittableRandom(seed * 0x9E3779B97F4A7C15L + step);
        int[] others = java.util.Arrays.copyOf(all, all.length - 1);
        for (int i = 0; i < exitsPerStep - 1; i++) { // partial Fisher-Yates
            int j = i + random.nextInt(others.length - i);
            int t = others[i];
            others[i] = others[j];
            others[j] = t;
        }
        int[] chosen = java.util.Arrays.copyOf(others, exitsPerStep);
        chosen[chosen.length - 1] = all[all.length - 1];
        java.util.Arrays.sort(chosen);
        double[] w = new double[chosen.length];
        java.util.Arrays.fill(w, 1.0);
        return new ExitObjective(chosen, w);
    }

    private static void evaluate(Trainer trainer, ExitObjective objective, List<Batch> batches, int step, BufferedWriter metrics)
            throws IOException {
        if (batches.isEmpty()) return;
        double[] sum = new double[objective.exits().length];
        long count = 0;
        for (Batch b : batches) {
            ExitLosses l = trainer.pass().evaluate(b, objective);
            int n = b.countedTargets();
            for (int e = 0; e < sum.length; e++) sum[e] += l.perExit()[e] * n;
            count += n;
        }
        ObjectNode row = JSON.createObjectNode();
        row.put("step", step);
        ObjectNode per = row.putObject("validation_exit_loss");
        for (int e = 0; e < sum.length; e++) per.put(Integer.toString(objective.exits()[e]), sum[e] / Math.max(1, count));
        writeRow(metrics, row);
    }

    private static void writeRow(BufferedWriter w, ObjectNode row) throws IOException {
        w.write(JSON.writeValueAsString(row));
        w.newLine();
    }

    /** Per-exit training and validation loss against the step, from metrics.jsonl. */
    static void plot(Path metricsFile, Path png) throws IOException {
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        for (String line : Files.readAllLines(metricsFile)) {
            if (line.isBlank()) continue;
            var row = JSON.readTree(line);
            int step = row.get("step").asInt();
            for (String key : new String[] {"exit_loss", "validation_exit_loss"}) {
                var per = row.get(key);
                if (per == null) continue;
                String prefix = key.startsWith("validation") ? "validation exit " : "train exit ";
                per.fields().forEachRemaining(f -> series.computeIfAbsent(prefix + f.getKey(), k -> new ArrayList<>())
                        .add(new double[] {step, f.getValue().asDouble()}));
            }
        }
        XYChart chart = new XYChartBuilder().width(900).height(550).title("Loss per exit")
                .xAxisTitle("step").yAxisTitle("cross-entropy (nats)").build();
        series.forEach((name, points) -> {
            double[] x = new double[points.size()], y = new double[points.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = points.get(i)[0];
                y[i] = points.get(i)[1];
            }
            var s = chart.addSeries(name, x, y);
            if (name.startsWith("train")) s.setMarker(SeriesMarkers.NONE);
        });
        if (!series.isEmpty()) BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
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
        o.put("seq_len", T);
        o.put("accumulate", accumulate);
        o.put("seed", seed);
        o.put("warmup", warmup);
        o.put("weight_decay", weightDecay);
        o.put("clip", clip);
        o.put("exits_per_step", exitsPerStep);
        o.put("ict_shared_head", ictSharedHead);
        if (loraRank != null) { // only under LoRA: a full fine-tuning checkpoint keeps the options it had
            o.put("lora_rank", loraRank);
            o.put("lora_alpha", loraConfig().alpha());
            o.put("lora_targets", loraConfig().targetList());
        }
        try { // as read back from state.json, so that equal options compare equal (42L and 42 are different nodes)
            return (ObjectNode) JSON.readTree(JSON.writeValueAsString(o));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
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
