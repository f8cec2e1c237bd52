package sortedllama.train.data;

import sortedllama.BadInputException;

/**
 * A record that cannot become an example: a missing or mistyped field, an empty output. The message
 * says what is wrong; where it is (file, line) is added by whoever reads the file, which then skips
 * or fails as {@link BadRecordPolicy} says.
 */
public class InvalidRecordException extends BadInputException {
    private static final long serialVersionUID = 1L;

    public InvalidRecordException(String message) {
        super(message);
    }
}
