package sortedllama.server;

import java.util.List;
import sortedllama.BadInputException;
import sortedllama.tokenizer.ByteLevelBpe;
import sortedllama.tokenizer.Tokenizer;

/**
 * Turns a conversation into the prompt token ids the model was fine-tuned on, ending where the
 * assistant's next turn begins. A conversation the template cannot express is a 400.
 */
public interface ChatTemplate {

    int[] promptIds(List<ChatMessage> messages);

    /** A short name for logs and /v1/models, e.g. "llama-2" or "jinja". */
    String name();

    /**
     * The tokenizer's own Jinja template when it ships one (Hugging Face tokenizer_config.json's
     * chat_template, or a GGUF file's tokenizer.chat_template, as Llama 3 does) and that template
     * renders a plain system/user conversation; otherwise LLaMA 2 chat, which Meta's reference
     * code formats and which every SentencePiece LLaMA expects.
     */
    static ChatTemplate forTokenizer(Tokenizer tokenizer, int bosId, int eosId) {
        if (tokenizer instanceof ByteLevelBpe bpe && bpe.chatTemplate().isPresent()) {
            try {
                return JinjaChatTemplate.checked(bpe.chatTemplate().get(), tokenizer, bosId, eosId);
            } catch (BadInputException e) {
                System.getLogger(ChatTemplate.class.getName()).log(System.Logger.Level.WARNING,
                        "the tokenizer's chat template does not render (" + e.getMessage() + "); using LLaMA 2 chat");
            }
        }
        return new Llama2ChatTemplate(tokenizer, bosId, eosId);
    }
}
