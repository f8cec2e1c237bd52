package sortedllama.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Reads the expected ids under src/test/resources/tokenizer/, made by the reference libraries
 * (tools/tokenizer/make_fixtures.py: sentencepiece; make_byte_level_fixtures.mjs: Hugging Face
 * tokenizers).
 */
final class TokenizerFixtures {
    private TokenizerFixtures() {}

    /**
     * What the reference library gives for {@code text}: Hugging Face tokenizers cut added tokens out
     * of text by default (split_special_tokens=False), special ones included, so their references
     * are compared with special tokens parsed; sentencepiece never parses them.
     */
    static int[] encodeAsReference(Tokenizer t, String text) {
        return t.encode(text, t instanceof ByteLevelBpe);
    }

    static JsonNode json(String name) {
        try (InputStream in = TokenizerFixtures.class.getResourceAsStream("/tokenizer/" + name)) {
            if (in == null) throw new IllegalStateException("test resource /tokenizer/" + name + " is missing");
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path resource(String name) {
        try {
            return Path.of(TokenizerFixtures.class.getResource("/tokenizer/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static int[] ids(JsonNode array) {
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = array.get(i).asInt();
        return ids;
    }

    /** Encoding cases of a list: (text, named for display, ids, decoded text or null). */
    static Stream<Arguments> encodeCases(JsonNode list) {
        Stream.Builder<Arguments> b = Stream.builder();
        for (JsonNode c : list) {
            String text = c.get("text").asText();
            b.add(Arguments.of(Named.of(visible(text), text), ids(c.get("ids")), c.has("decoded") ? c.get("decoded").asText() : null));
        }
        return b.build();
    }

    /** Decoding cases of a list: (ids, text). */
    static Stream<Arguments> decodeCases(JsonNode list) {
        Stream.Builder<Arguments> b = Stream.builder();
        for (JsonNode c : list) {
            int[] ids = ids(c.get("ids"));
            b.add(Arguments.of(Named.of(Arrays.toString(ids), ids), c.get("text").asText()));
        }
        return b.build();
    }

    /** Shows control characters in test names. */
    static String visible(String text) {
        StringBuilder sb = new StringBuilder();
        text.codePoints().forEach(cp -> {
            if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || Character.getType(cp) == Character.FORMAT
                    || Character.getType(cp) == Character.LINE_SEPARATOR) {
                sb.append(String.format("\\u%04x", cp));
            } else {
                sb.appendCodePoint(cp);
            }
        });
        if (sb.toString().isBlank()) return "(" + text.length() + " blank characters)";
        return sb.length() > 60 ? sb.substring(0, 57) + "..." : sb.toString();
    }
}
