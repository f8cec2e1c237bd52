package sortedllama.server;

import java.io.IOException;

/**
 * A client stopped listening: writing its stream's next event failed, or the connection of a
 * request waiting for its whole answer was closed ({@link ConnectionProbe}). Thrown through the
 * generator (like {@link GenerationStopped}) so that its work stops and its slot frees at once;
 * the request is counted with status 499.
 */
final class ClientGoneException extends RuntimeException {
    ClientGoneException(IOException cause) {
        super("the client closed the connection", cause, false, false);
    }
}
