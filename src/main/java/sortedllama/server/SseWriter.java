package sortedllama.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Server-sent events as OpenAI streams them: {@code data: {json}\n\n} per event, flushed at once,
 * and {@code data: [DONE]\n\n} at the end. A failed write means the client left: it surfaces as
 * {@link ClientGoneException}, which stops the generation that was writing.
 */
final class SseWriter {
    private final HttpServletResponse response;

    SseWriter(HttpServletResponse response) {
        this.response = response;
        response.setStatus(200);
        response.setContentType("text/event-stream");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-cache");
        response.setHeader("X-Accel-Buffering", "no"); // ask reverse proxies not to buffer the stream
    }

    void send(JsonNode event) {
        if (event == null) return;
        try {
            write("data: " + OpenAiJson.MAPPER.writeValueAsString(event) + "\n\n");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    void done() {
        write("data: [DONE]\n\n");
    }

    private void write(String text) {
        try {
            response.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
            response.flushBuffer();
        } catch (IOException e) {
            throw new ClientGoneException(e);
        }
    }
}
