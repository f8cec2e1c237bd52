package sortedllama.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import sortedllama.model.ExitSet;
import sortedllama.model.TestModels;
import sortedllama.tokenizer.ByteLevelBpe;

class ChatTemplateTest {
    static final ByteTokenizer BYTES = new ByteTokenizer();

    /** Llama 3 Instruct's chat_template from tokenizer_config.json. */
    static final String LLAMA3 = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
            + "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}"
            + "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

    static List<ChatMessage> conversation() {
        return List.of(new ChatMessage("system", "Be brief. "), new ChatMessage("user", " Hi there "),
                new ChatMessage("assistant", "Hello!"), new ChatMessage("user", "What is 2+2?"));
    }

    @Test
    void llama2IsMetasReferenceFormatWithBosAndEosAsIds() {
        int[] ids = new Llama2ChatTemplate(BYTES, 1, 2).promptIds(conversation());
        assertArrayEquals(conversationIds("[INST] What is 2+2? [/INST]"), ids);
    }

    /** The conversation's finished exchange as BOS text EOS, then BOS and the last turn's text. */
    private static int[] conversationIds(String lastTurn) {
        List<Integer> expected = new ArrayList<>();
        expected.add(1);
        for (int id : BYTES.encode("[INST] <<SYS>>\nBe brief. \n<</SYS>>\n\n Hi there [/INST] Hello! ")) expected.add(id);
        expected.add(2);
        expected.add(1);
        for (int id : BYTES.encode(lastTurn)) expected.add(id);
        return expected.stream().mapToInt(Integer::intValue).toArray();
    }

    /** A last assistant message is a reply begun: the prompt ends with its text, no EOS, for the model to continue. */
    @Test
    void llama2ContinuesABegunReply() {
        var messages = new ArrayList<>(conversation());
        messages.add(new ChatMessage("assistant", "  The answer is "));
        int[] ids = new Llama2ChatTemplate(BYTES, 1, 2).promptIds(messages);
        assertArrayEquals(conversationIds("[INST] What is 2+2? [/INST] The answer is "), ids);
    }

    @Test
    void llama2RefusesConversationsTheReferenceRejects() {
        var template = new Llama2ChatTemplate(BYTES, 1, 2);
        for (var bad : List.of(List.of(new ChatMessage("system", "S")),
                List.of(new ChatMessage("user", "a"), new ChatMessage("user", "b")),
                List.of(new ChatMessage("assistant", "a"), new ChatMessage("user", "b")))) {
            var e = assertThrows(ApiException.class, () -> template.promptIds(bad));
            assertEquals(400, e.status());
            assertEquals("messages", e.param());
        }
    }

    @Test
    void mergedMessagesFitLlama2WhereTheRawOnesAreRefused() {
        var template = new Llama2ChatTemplate(BYTES, 1, 2);
        var raw = List.of(new ChatMessage("developer", "Be brief."), new ChatMessage("system", "Be kind."),
                new ChatMessage("user", "Hi"), new ChatMessage("user", "there"), new ChatMessage("assistant", "Hello!"),
                new ChatMessage("system", "Use digits."), new ChatMessage("user", "What is 2+2?"));
        assertThrows(ApiException.class, () -> template.promptIds(raw));
        var merged = ChatMessage.merged(raw);
        assertEquals(List.of(new ChatMessage("system", "Be brief.\n\nBe kind.\n\nUse digits."), new ChatMessage("user", "Hi\n\nthere"),
                new ChatMessage("assistant", "Hello!"), new ChatMessage("user", "What is 2+2?")), merged);
        assertArrayEquals(template.promptIds(merged), template.promptIds(ChatMessage.merged(merged)), "merging twice changes nothing");
    }

    /** A byte-level BPE without merges (one token per byte) plus Llama 3's special tokens. */
    static ByteLevelBpe llama3Tokenizer(String template) {
        String[] tokens = new String[260];
        int extra = 0;
        for (int b = 0; b < 256; b++) { // GPT-2's byte map: printable bytes stand for themselves
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
            tokens[b] = String.valueOf((char) (printable ? b : 256 + extra++));
        }
        Map<String, Integer> specials = new LinkedHashMap<>();
        String[] names = {"<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"};
        for (int i = 0; i < names.length; i++) {
            tokens[256 + i] = names[i];
            specials.put(names[i], 256 + i);
        }
        return new ByteLevelBpe(tokens, List.of(), specials, ByteLevelBpe.GPT2_SPLIT, false, 256, 259, template);
    }

    @Test
    void aTokenizersJinjaTemplateIsRenderedLikeTransformers() {
        var tokenizer = llama3Tokenizer(LLAMA3);
        ChatTemplate template = ChatTemplate.forTokenizer(tokenizer, 256, 259);
        assertEquals("jinja", template.name());
        int[] ids = template.promptIds(conversation());
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", tokenizer.decode(ids));
        assertEquals(256, ids[0], "BOS is the special token's id, not its text spelled out");
        assertEquals(4, IntStream.of(ids).filter(id -> id == 259).count());
    }

    @Test
    void raiseExceptionBecomesA400WithTheTemplatesMessage() {
        // A template that refuses even the probe conversation (system + user) is not used.
        String strict = "{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
                + "{% endif %}{{ m['content'] }}{% endfor %}";
        var template = ChatTemplate.forTokenizer(llama3Tokenizer(strict), 256, 259);
        assertEquals("llama-2", template.name());

        String noTools = strict.replace("'system'", "'tool'");
        var jinja = JinjaChatTemplate.checked(noTools, llama3Tokenizer(noTools), 256, 259);
        var e = assertThrows(ApiException.class, () -> jinja.promptIds(List.of(new ChatMessage("tool", "x"))));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains("System role not supported"), e.getMessage());
    }

    @Test
    void brokenTemplatesFallBackToLlama2() {
        assertEquals("llama-2", ChatTemplate.forTokenizer(llama3Tokenizer("{% for m in %}"), 256, 259).name());
        assertEquals("llama-2", ChatTemplate.forTokenizer(llama3Tokenizer(null), 256, 259).name());
        assertEquals("llama-2", ChatTemplate.forTokenizer(BYTES, 1, 2).name());
    }

    @Test
    void llama3TurnEndsStopGenerationBesidesEos() {
        var tokenizer = llama3Tokenizer(LLAMA3);
        var model = TestModels.random(TestModels.tinyConfig(1, 260, 16), 1, 1f);
        var serving = ServingModel.of(model, tokenizer, "m", ExitSet.all(1));
        assertTrue(serving.isStopToken(259));
        assertTrue(!serving.isStopToken(256) && !serving.isStopToken(65));
    }
}
