package sortedllama.server;

import java.util.ArrayList;
import java.util.List;
import sortedllama.tokenizer.Tokenizer;

/**
 * LLaMA 2 chat exactly as Meta's reference {@code chat_completion} formats it: an optional system
 * message is folded into the first user turn between &lt;&lt;SYS&gt;&gt; markers, then each
 * finished exchange is {@code BOS "[INST] {user} [/INST] {assistant} " EOS} and the last user
 * turn is {@code BOS "[INST] {user} [/INST]"}. Each piece is encoded separately and BOS/EOS are
 * token ids, never text, so user text cannot forge them. Turns must alternate user/assistant, as
 * the reference asserts. A conversation that ends with the assistant is a reply begun (prefill):
 * the last user turn is followed by that text, with no space or EOS after it, and the model
 * continues it.
 */
final class Llama2ChatTemplate implements ChatTemplate {
    private static final String B_INST = "[INST]", E_INST = "[/INST]";
    private static final String B_SYS = "<<SYS>>\n", E_SYS = "\n<</SYS>>\n\n";

    private final Tokenizer tokenizer;
    private final int bosId, eosId;

    Llama2ChatTemplate(Tokenizer tokenizer, int bosId, int eosId) {
        this.tokenizer = tokenizer;
        this.bosId = bosId;
        this.eosId = eosId;
    }

    @Override
    public String name() {
        return "llama-2";
    }

    @Override
    public int[] promptIds(List<ChatMessage> messages) {
        List<ChatMessage> dialog = foldSystem(messages);
        checkAlternates(dialog);
        boolean prefill = dialog.size() % 2 == 0;
        int lastUser = prefill ? dialog.size() - 2 : dialog.size() - 1;
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < lastUser; i += 2) {
            ids.add(bosId);
            encode(B_INST + " " + dialog.get(i).content().strip() + " " + E_INST + " " + dialog.get(i + 1).content().strip() + " ", ids);
            ids.add(eosId);
        }
        ids.add(bosId);
        String last = B_INST + " " + dialog.get(lastUser).content().strip() + " " + E_INST;
        // the reply begun: its trailing space, if any, is where the model is to go on
        if (prefill) last += " " + dialog.getLast().content().stripLeading();
        encode(last, ids);
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The reference prepends the system text to the next message's content (before stripping it). */
    private static List<ChatMessage> foldSystem(List<ChatMessage> messages) {
        if (messages.isEmpty() || !messages.getFirst().role().equals("system")) return messages;
        if (messages.size() < 2) throw ApiException.badRequest("a system message must be followed by a user message", "messages");
        List<ChatMessage> dialog = new ArrayList<>();
        ChatMessage next = messages.get(1);
        dialog.add(new ChatMessage(next.role(), B_SYS + messages.getFirst().content() + E_SYS + next.content()));
        dialog.addAll(messages.subList(2, messages.size()));
        return dialog;
    }

    private static void checkAlternates(List<ChatMessage> dialog) {
        if (dialog.isEmpty()) throw ApiException.badRequest("messages is empty", "messages");
        for (int i = 0; i < dialog.size(); i++) {
            String expected = i % 2 == 0 ? "user" : "assistant";
            if (!dialog.get(i).role().equals(expected)) {
                throw ApiException.badRequest("LLaMA 2 chat needs an optional system message, then user and assistant turns "
                        + "alternating from the user's; message " + i + " after folding the system message in is \""
                        + dialog.get(i).role() + "\"", "messages");
            }
        }
    }

    private void encode(String text, List<Integer> out) {
        for (int id : tokenizer.encode(text)) out.add(id);
    }
}
