package sortedllama.server;

/**
 * Thrown from the token listener to end a generation early: the generators call the listener for
 * every token, so an unchecked exception stops them between two tokens and unwinds cleanly (each
 * generation owns its KV cache, so nothing is left half-updated). No stack trace: it is control flow.
 */
final class GenerationStopped extends RuntimeException {
    GenerationStopped(String why) {
        super(why, null, false, false);
    }
}
