package sortedllama.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Turns generated tokens into text as they come. Bytes of a character split over several tokens
 * (byte-fallback pieces, or byte-level BPE tokens) are held back until the character is complete;
 * and, for SentencePiece vocabularies, a piece right after BOS loses its leading space (the dummy
 * prefix), as llama2.c's run.c does. Not thread-safe: one decoder per stream.
 */
public final class StreamingDecoder {
    private final Tokenizer tokenizer;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
    private int previous;

    /** @param previousToken the token before the first one fed (the prompt's last token, often BOS) */
    public StreamingDecoder(Tokenizer tokenizer, int previousToken) {
        this.tokenizer = tokenizer;
        this.previous = previousToken;
    }

    /** The text that became complete with this token (possibly empty). */
    public String feed(int token) {
        byte[] bytes = tokenizer.decodeBytes(token);
        if (previous >= 0 && previous == tokenizer.bosId() && bytes.length > 0 && bytes[0] == ' '
                && tokenizer instanceof SentencePieceBpe sp && sp.stripsLeadingSpaceAfterBos(token)) {
            bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        previous = token;
        pending.writeBytes(bytes);
        return drain(false);
    }

    /**
     * The text of a finished generation that followed {@code prompt}: the same rules as streaming
     * (the leading space after BOS), the end-of-sequence token left out.
     */
    public static String decodeAfter(Tokenizer tokenizer, int[] prompt, int[] generated) {
        var decoder = new StreamingDecoder(tokenizer, prompt[prompt.length - 1]);
        StringBuilder text = new StringBuilder();
        for (int id : generated) if (id != tokenizer.eosId()) text.append(decoder.feed(id));
        return text.append(decoder.flush()).toString();
    }

    /** Whatever is left at the end of the stream, an incomplete character replaced by U+FFFD. */
    public String flush() {
        return drain(true);
    }

    private String drain(boolean endOfInput) {
        ByteBuffer in = ByteBuffer.wrap(pending.toByteArray());
        CharBuffer out = CharBuffer.allocate(in.remaining() + 1);
        utf8.decode(in, out, endOfInput); // with REPLACE it reports only underflow or overflow, never an error
        if (endOfInput) {
            utf8.flush(out);
            utf8.reset();
        }
        pending.reset();
        pending.write(in.array(), in.position(), in.remaining()); // an incomplete character waits for its next bytes
        return out.flip().toString();
    }
}
