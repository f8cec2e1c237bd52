package sortedllama.server;

import java.io.IOException;

/**
 * A streaming client stopped listening: writing its next event failed. Thrown through the
 * generator (like {@link GenerationStopped}) so that its work stops and its slot frees at once.
 */
final class ClientGoneException extends RuntimeException {
    ClientGoneException(IOException cause) {
        super("the client closed the connection", cause, false, false);
    }
}
