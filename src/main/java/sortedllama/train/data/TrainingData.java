package sortedllama.train.data;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import sortedllama.BadInputException;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.train.Batch;

/** Training and validation examples, loaded and fitted to the sequence length, and the batches made of them. */
public final class TrainingData {
    private final DataOptions options;
    private final List<Example> train;
    private final List<Example> validation;
    private final DataStats stats;
    private final int padId;

    private TrainingData(DataOptions options, List<Example> train, List<Example> validation, DataStats stats, int padId) {
        this.options = options;
        this.train = List.copyOf(train);
        this.validation = List.copyOf(validation);
        this.stats = stats;
        this.padId = padId;
    }

    /**
     * Reads, tokenises and fits the data, then logs skipped records and the {@link DataStats#summary()}.
     *
     * @param validationFile the validation set in the same format, or null to hold out
     *                       {@link DataOptions#validationFraction()} of {@code trainFile}
     * @param log            where skipped records and the summary line go
     */
    public static TrainingData load(Path trainFile, Path validationFile, Tokenizer tokenizer, DataOptions options, Consumer<String> log) {
        if (validationFile != null && options.validationFraction() > 0) {
            throw new BadInputException("give a validation file or a validation fraction, not both");
        }
        var encoder = new ExampleEncoder(tokenizer);
        var bad = new BadRecords(options.onBadRecord(), log);
        var limit = new LengthLimit(options.seqLen(), options.onLongExample());
        List<Example> examples = limit.apply(options.format().read(trainFile, encoder, bad));
        ValidationSplit split = validationFile != null
                ? new ValidationSplit(examples, limit.apply(options.format().read(validationFile, encoder, bad)))
                : ValidationSplit.of(examples, options.validationFraction());
        var stats = DataStats.of(split.train(), split.validation(), limit, bad);
        if (split.train().isEmpty()) throw new BadInputException(trainFile + ": no training examples left; " + stats.summary());
        log.accept(stats.summary());
        return new TrainingData(options, split.train(), split.validation(), stats, encoder.padId());
    }

    /** The training batches from {@code start} on ({@link DataPosition#START} for a new run). */
    public BatchStream batches(DataPosition start) {
        return new BatchStream(train, options, padId, start);
    }

    /** The validation set once, unshuffled, padded or packed as training is. */
    public List<Batch> validationBatches() {
        int[] inOrder = IntStream.range(0, validation.size()).toArray();
        // the random stream only reorders whole batches, which does not change a validation loss
        return BatchPlanner.of(options).plan(validation, inOrder, new SplittableRandom(0)).stream()
                .map(b -> b.assemble(validation, padId)).toList();
    }

    public List<Example> train() {
        return train;
    }

    public List<Example> validation() {
        return validation;
    }

    public DataStats stats() {
        return stats;
    }

    public DataOptions options() {
        return options;
    }
}
