package sortedllama.train.data;

import java.util.function.Consumer;
import sortedllama.BadInputException;

/**
 * Applies the {@link BadRecordPolicy} to records that cannot be used: fails naming the place, or
 * counts and logs it. Only the first few are logged one by one, so that a file with thousands of bad
 * records does not bury the log; the count in {@link DataStats} covers them all.
 */
public final class BadRecords {
    static final int LOGGED = 10;
    /** Skipping stops being an option past this many bad records: so many suggest a wrong --format, not a few bad lines. */
    public static final int MAX_SKIPPED_DEFAULT = 1000;

    private final BadRecordPolicy policy;
    private final Consumer<String> log;
    private final int maxSkipped;
    private int count;

    public BadRecords(BadRecordPolicy policy, Consumer<String> log) {
        this(policy, log, MAX_SKIPPED_DEFAULT);
    }

    /** @param maxSkipped under SKIP, the bad records tolerated before failing anyway */
    public BadRecords(BadRecordPolicy policy, Consumer<String> log, int maxSkipped) {
        this.policy = policy;
        this.log = log;
        this.maxSkipped = maxSkipped;
    }

    /** Fails (FAIL) or counts and logs (SKIP) a record that cannot be used. */
    void reject(RecordLocation where, String reason) {
        if (policy == BadRecordPolicy.FAIL) {
            throw new BadInputException(where + ": " + reason + " (--on-bad-record skip leaves such records out)");
        }
        if (count == maxSkipped) {
            throw new BadInputException(where + ": " + reason + " (more than " + maxSkipped
                    + " bad records: is the --format right?)");
        }
        count++;
        if (count <= LOGGED) log.accept("skipped " + where + ": " + reason);
        if (count == LOGGED) log.accept("further bad records are skipped and counted without a message each");
    }

    /** Records skipped so far. */
    public int count() {
        return count;
    }
}
