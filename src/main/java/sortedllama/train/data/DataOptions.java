package sortedllama.train.data;

import sortedllama.BadInputException;

/**
 * How to read and batch training data.
 *
 * @param format             the file format
 * @param seqLen             T, the positions per sequence: an example of n tokens fills n - 1 positions
 *                           (each token but the last is an input, each but the first a target)
 * @param batchSize          B, rows per batch (the last batch of an epoch may have fewer)
 * @param batching           padded rows or packed rows
 * @param onLongExample      examples longer than T + 1 tokens: truncate, drop or split
 * @param onBadRecord        malformed records: skip (counted, logged) or fail
 * @param seed               the shuffle seed: the same seed gives the same batches
 * @param sortWindowBatches  padded batching sorts by length within windows of this many batches:
 *                           larger means less padding but batches of more uniform length in a row
 * @param validationFraction the share of examples held out for validation when no validation file
 *                           is given; the choice depends on each example's content, not on the seed
 */
public record DataOptions(DataFormat format, int seqLen, int batchSize, BatchMode batching, LongExamplePolicy onLongExample,
                          BadRecordPolicy onBadRecord, long seed, int sortWindowBatches, double validationFraction) {

    public DataOptions {
        if (format == null || batching == null || onLongExample == null || onBadRecord == null) {
            throw new IllegalArgumentException("data options: format, batching and policies are required");
        }
        if (seqLen < 1) throw new BadInputException("--seq-len must be at least 1, not " + seqLen);
        if (batchSize < 1) throw new BadInputException("--batch-size must be at least 1, not " + batchSize);
        if (sortWindowBatches < 1) throw new BadInputException("the sort window must hold at least 1 batch, not " + sortWindowBatches);
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new BadInputException("--validation-fraction must be in [0, 1), not " + validationFraction);
        }
    }

    /** Padded batches, truncation, failing on bad records, seed 0, windows of 32 batches, no validation split. */
    public static DataOptions defaults(DataFormat format, int seqLen, int batchSize) {
        return new DataOptions(format, seqLen, batchSize, BatchMode.PAD, LongExamplePolicy.TRUNCATE, BadRecordPolicy.FAIL, 0, 32, 0);
    }

    public DataOptions withBatching(BatchMode mode) {
        return new DataOptions(format, seqLen, batchSize, mode, onLongExample, onBadRecord, seed, sortWindowBatches, validationFraction);
    }

    public DataOptions withOnBadRecord(BadRecordPolicy policy) {
        return new DataOptions(format, seqLen, batchSize, batching, onLongExample, policy, seed, sortWindowBatches, validationFraction);
    }

    public DataOptions withSeed(long newSeed) {
        return new DataOptions(format, seqLen, batchSize, batching, onLongExample, onBadRecord, newSeed, sortWindowBatches, validationFraction);
    }

    public DataOptions withValidationFraction(double fraction) {
        return new DataOptions(format, seqLen, batchSize, batching, onLongExample, onBadRecord, seed, sortWindowBatches, fraction);
    }
}
