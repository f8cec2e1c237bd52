package sortedllama.server;

/** One turn of a conversation: role "system", "user" or "assistant" (templates decide what else they accept). */
public record ChatMessage(String role, String content) {}
