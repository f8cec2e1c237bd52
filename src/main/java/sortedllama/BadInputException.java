package sortedllama;

/**
 * A problem with what the user gave us (a file, a flag, a request) rather than a bug.
 * The CLI prints its message on one line and exits with status 2; the server answers 400.
 * Messages must name the offending thing: the file, the tensor, the option.
 */
public class BadInputException extends RuntimeException {
    public BadInputException(String message) {
        super(message);
    }

    public BadInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
