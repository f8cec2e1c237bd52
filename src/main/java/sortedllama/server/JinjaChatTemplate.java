package sortedllama.server;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import sortedllama.BadInputException;
import sortedllama.tokenizer.Tokenizer;

/**
 * A Hugging Face chat template (Jinja), rendered the way transformers' apply_chat_template does:
 * trim_blocks and lstrip_blocks on, variables {@code messages}, {@code bos_token},
 * {@code eos_token}, {@code add_generation_prompt=true} and the {@code raise_exception}
 * function. The text is then encoded without adding BOS, since these templates write it
 * themselves; special tokens in the text (e.g. &lt;|eot_id|&gt;) become their ids.
 */
final class JinjaChatTemplate implements ChatTemplate {
    /**
     * Jinjava's defaults differ from Python Jinja in whitespace control ({{- and -}} on
     * expressions) and operator precedence; these overrides make HF templates render alike.
     */
    private static final LegacyOverrides PYTHON_JINJA = LegacyOverrides.newBuilder()
            .withUseTrimmingForNotesAndExpressions(true)
            .withUseNaturalOperatorPrecedence(true)
            .withParseWhitespaceControlStrictly(true)
            .withKeepNullableLoopValues(true)
            .build();

    private final String template;
    private final Tokenizer tokenizer;
    private final String bosToken, eosToken;
    private final Jinjava jinjava;

    private JinjaChatTemplate(String template, Tokenizer tokenizer, int bosId, int eosId) {
        this.template = template;
        this.tokenizer = tokenizer;
        this.bosToken = bosId >= 0 ? tokenizer.tokenText(bosId) : "";
        this.eosToken = eosId >= 0 ? tokenizer.tokenText(eosId) : "";
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true)
                .withLegacyOverrides(PYTHON_JINJA).build());
        jinjava.getGlobalContext().registerFunction(
                new ELFunctionDefinition("", "raise_exception", JinjaChatTemplate.class, "raiseException", String.class));
    }

    /** The template, once it has rendered a system + user conversation; else a BadInputException. */
    static JinjaChatTemplate checked(String template, Tokenizer tokenizer, int bosId, int eosId) {
        var t = new JinjaChatTemplate(template, tokenizer, bosId, eosId);
        try {
            t.render(List.of(new ChatMessage("system", "You are helpful."), new ChatMessage("user", "Hello")));
        } catch (ApiException e) {
            throw new BadInputException(e.getMessage());
        }
        return t;
    }

    @Override
    public String name() {
        return "jinja";
    }

    @Override
    public int[] promptIds(List<ChatMessage> messages) {
        return tokenizer.encode(render(messages), true); // the template writes special tokens as text
    }

    String render(List<ChatMessage> messages) {
        Map<String, Object> bindings = new HashMap<>();
        bindings.put("messages", messages.stream().map(m -> Map.of("role", m.role(), "content", m.content())).toList());
        bindings.put("bos_token", bosToken);
        bindings.put("eos_token", eosToken);
        bindings.put("add_generation_prompt", true);
        RenderResult result = jinjava.renderForResult(template, bindings);
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw ApiException.badRequest("the chat template refused the messages: " + reason(error), "messages");
            }
        }
        return result.getOutput();
    }

    /** What the template said through raise_exception, else Jinjava's own message. */
    private static String reason(TemplateError error) {
        for (Throwable t = error.getException(); t != null; t = t.getCause()) {
            if (t instanceof Raised raised) return raised.getMessage();
        }
        return error.getMessage();
    }

    /** Jinja's raise_exception(message), which HF templates call on conversations they cannot format. */
    public static String raiseException(String message) {
        throw new Raised(message);
    }

    private static final class Raised extends RuntimeException {
        Raised(String message) {
            super(message, null, false, false);
        }
    }
}
