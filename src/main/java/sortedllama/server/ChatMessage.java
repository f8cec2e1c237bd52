package sortedllama.server;

import java.util.ArrayList;
import java.util.List;

/** One message of a chat request: its role ("system", "developer", "user", "assistant") and its text. */
public record ChatMessage(String role, String content) {

    /**
     * The conversation reshaped for templates that take one leading system message and turns that
     * alternate (LLaMA 2 chat): "developer" (OpenAI's newer name for the system role) becomes
     * "system", every system message joins one at the start, and consecutive messages of one role
     * join into one, their texts separated by a blank line.
     */
    public static List<ChatMessage> merged(List<ChatMessage> messages) {
        StringBuilder system = new StringBuilder();
        List<ChatMessage> turns = new ArrayList<>();
        for (ChatMessage m : messages) {
            String role = m.role().equals("developer") ? "system" : m.role();
            if (role.equals("system")) {
                join(system, m.content());
            } else if (!turns.isEmpty() && turns.getLast().role().equals(role)) {
                turns.set(turns.size() - 1, new ChatMessage(role, join(new StringBuilder(turns.getLast().content()), m.content()).toString()));
            } else {
                turns.add(new ChatMessage(role, m.content()));
            }
        }
        if (!system.isEmpty()) turns.addFirst(new ChatMessage("system", system.toString()));
        return turns;
    }

    private static StringBuilder join(StringBuilder text, String more) {
        if (!text.isEmpty()) text.append("\n\n");
        return text.append(more);
    }
}
