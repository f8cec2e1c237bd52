package sortedllama.server;

/** The two generation endpoints: same decoding, different request and response shapes. */
enum ApiKind {
    COMPLETION("/v1/completions", "text_completion", "text_completion", "cmpl-", "prompt"),
    CHAT("/v1/chat/completions", "chat.completion", "chat.completion.chunk", "chatcmpl-", "messages");

    final String path;
    final String object, chunkObject;
    final String idPrefix;
    /** The request field the prompt comes from, named in errors about it. */
    final String promptField;

    ApiKind(String path, String object, String chunkObject, String idPrefix, String promptField) {
        this.path = path;
        this.object = object;
        this.chunkObject = chunkObject;
        this.idPrefix = idPrefix;
        this.promptField = promptField;
    }
}
