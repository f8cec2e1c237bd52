package sortedllama.server;

import io.javalin.http.Context;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.BufferUtil;

/**
 * Notices that the client of a non-streaming request has closed its connection, which the server
 * only learns by reading from it: a streaming request finds out when it next writes, but a whole
 * response writes nothing until the generation ends, and Jetty does not read the connection while
 * a request is handled. So the generation's listener asks now and then ({@link #check}); a
 * non-blocking read of the connection then returns end-of-stream once the client has closed it.
 *
 * <p>Only HTTP/1.x connections are read this way (one request at a time on a connection). An
 * HTTP/1.1 client sends nothing on the connection until it has its answer unless it pipelines
 * requests, which clients no longer do; if a byte does come, it is the start of the next request
 * and is lost, so the answer then closes the connection and the client sends that request again.
 */
final class ConnectionProbe {
    /** At most one read of the connection per this many nanoseconds: a read is a system call. */
    private static final long INTERVAL_NANOS = 50_000_000;

    private final EndPoint endPoint; // null: not read (not HTTP/1.x, or not served by Jetty)
    private final Context ctx;
    private long next = System.nanoTime();
    private boolean readAhead;

    private ConnectionProbe(Context ctx, EndPoint endPoint) {
        this.ctx = ctx;
        this.endPoint = endPoint;
    }

    static ConnectionProbe of(Context ctx) {
        ServletContextRequest request = ServletContextRequest.getServletContextRequest(ctx.req());
        if (request == null) return new ConnectionProbe(ctx, null);
        var meta = request.getConnectionMetaData();
        boolean oneAtATime = meta.getHttpVersion() == HttpVersion.HTTP_1_1 || meta.getHttpVersion() == HttpVersion.HTTP_1_0;
        return new ConnectionProbe(ctx, oneAtATime ? meta.getConnection().getEndPoint() : null);
    }

    /** Throws {@link ClientGoneException} once the client has closed the connection. */
    synchronized void check() {
        if (endPoint == null || readAhead || System.nanoTime() - next < 0) return;
        next = System.nanoTime() + INTERVAL_NANOS;
        ByteBuffer one = BufferUtil.allocate(1);
        int read;
        try {
            read = endPoint.fill(one);
        } catch (IOException e) {
            throw new ClientGoneException(e);
        }
        if (read < 0) throw new ClientGoneException(new IOException("end of stream"));
        if (read > 0) {
            readAhead = true;
            ctx.header("Connection", "close");
        }
    }
}
