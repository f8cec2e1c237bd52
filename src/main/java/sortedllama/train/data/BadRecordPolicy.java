package sortedllama.train.data;

/** What to do with a record that cannot be used (bad JSON, missing or mistyped field, empty output). */
public enum BadRecordPolicy {
    /** Leave it out, count it and log where it is. */
    SKIP,
    /** Stop with a {@link sortedllama.BadInputException} naming the file and line. */
    FAIL
}
