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
    private final String code;

    /** @param code OpenAI's machine-readable error code (e.g. "context_length_exceeded"), or null as OpenAI sends for most 400s */
    ApiException(int status, String type, String message, String param, String code) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400: the client sent something we cannot serve; {@code param} names the field, or null. */
    static ApiException badRequest(String message, String param) {
        return new ApiException(400, "invalid_request_error", message, param, null);
    }

    /** 400 for a prompt and max_tokens that do not fit the context, with the code OpenAI sends for it. */
    static ApiException contextLengthExceeded(String message, String param) {
        return new ApiException(400, "invalid_request_error", message, param, "context_length_exceeded");
    }

    /** 400 for a parameter of the API this server does not implement: refused by name rather than ignored. */
    static ApiException unsupported(String param, String what) {
        return new ApiException(400, "invalid_request_error", param + " is not supported by this server (" + what + ")", param,
                "unsupported_parameter");
    }

    /** 404 for a model id other than the one served. */
    static ApiException modelNotFound(String id) {
        return new ApiException(404, "invalid_request_error", "the model '" + id + "' does not exist", "model", "model_not_found");
    }

    /** 429: every slot busy and the queue full; the client should retry later (the answer says when: Retry-After). */
    static ApiException overloaded(String message) {
        return new ApiException(429, "rate_limit_exceeded", message, null, "rate_limit_exceeded");
    }

    /** 503: the request waited past its timeout for a free slot. */
    static ApiException unavailable(String message) {
        return new ApiException(503, "server_overloaded", message, null, null);
    }

    String code() {
        return code;
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
