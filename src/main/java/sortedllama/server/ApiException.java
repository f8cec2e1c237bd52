package sortedllama.server;

/**
 * A request the server answers with an OpenAI-style error instead of a completion. Thrown
 * anywhere while a request is handled, before its response has started.
 *
 * @see OpenAiJson#error
 */
final class ApiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;

    ApiException(int status, String type, String message, String param) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
    }

    /** 400: the client sent something we cannot serve; {@code param} names the field, or null. */
    static ApiException badRequest(String message, String param) {
        return new ApiException(400, "invalid_request_error", message, param);
    }

    /** 429: every slot busy and the queue full; the client should retry later. */
    static ApiException overloaded(String message) {
        return new ApiException(429, "rate_limit_exceeded", message, null);
    }

    /** 503: the request waited past its timeout for a free slot. */
    static ApiException unavailable(String message) {
        return new ApiException(503, "server_overloaded", message, null);
    }

    int status() {
        return status;
    }

    String type() {
        return type;
    }

    String param() {
        return param;
    }
}
