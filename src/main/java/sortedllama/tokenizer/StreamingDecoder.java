package sortedllama.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Turns generated tokens into text as they come: bytes of a character split over several
 * byte-fallback tokens are held back until the character is complete, and (SentencePiece) the
 * leading space of the first piece after BOS is dropped, as llama2.c and SentencePiece do.
 */
public final class StreamingDecoder {
    private final Tokenizer tokenizer;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
    private int previous;

    /** @param previousToken the token before the first one fed (the prompt's last token) */
    public StreamingDecoder(Tokenizer tokenizer, int previousToken) {
        this.tokenizer = tokenizer;
        this.previous = previousToken;
    }

    /** The text that became complete with this token (possibly empty). */
    public String feed(int token) {
        byte[] bytes = tokenizer.decodeBytes(token);
        if (previous == tokenizer.bosId() && tokenizer instanceof SentencePieceBpe sp && sp.stripsLeadingSpaceAfterBos()
                && bytes.length > 0 && bytes[0] == ' ' && !tokenizer.tokenText(token).startsWith("<0x")) {
            bytes = java.util.Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        previous = token;
        pending.writeBytes(bytes);
        return drain(false);
    }

    /** Whatever is left, with incomplete characters replaced. */
    public String flush() {
        return drain(true);
    }

    private String drain(boolean endOfInput) {
        ByteBuffer in = ByteBuffer.wrap(pending.toByteArray());
        CharBuffer out = CharBuffer.allocate(in.remaining() + 1);
        CoderResult r = utf8.decode(in, out, endOfInput);
        if (r.isError()) throw new IllegalStateException(r.toString());
        if (endOfInput) {
            utf8.flush(out);
            utf8.reset();
        }
        pending.reset();
        pending.write(in.array(), in.position(), in.remaining()); // an incomplete character waits
        return out.flip().toString();
    }
}
