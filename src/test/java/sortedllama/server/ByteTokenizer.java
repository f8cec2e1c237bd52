package sortedllama.server;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.OptionalInt;
import sortedllama.tokenizer.Tokenizer;

/**
 * A test tokenizer with one token per byte (id = byte + 3) after pad 0, BOS 1 and EOS 2, so that
 * server tests need no tokenizer file and any text round-trips, multi-byte characters included.
 */
final class ByteTokenizer implements Tokenizer {
    static final int OFFSET = 3, VOCAB = OFFSET + 256;

    @Override
    public int[] encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) ids[i] = (bytes[i] & 0xFF) + OFFSET;
        return ids;
    }

    @Override
    public byte[] decodeBytes(int id) {
        return id >= OFFSET ? new byte[] {(byte) (id - OFFSET)} : new byte[0];
    }

    @Override
    public String decode(int[] ids) {
        var out = new ByteArrayOutputStream();
        for (int id : ids) out.writeBytes(decodeBytes(id));
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public int vocabSize() {
        return VOCAB;
    }

    @Override
    public int bosId() {
        return 1;
    }

    @Override
    public int eosId() {
        return 2;
    }

    @Override
    public String tokenText(int id) {
        return switch (id) {
            case 0 -> "<pad>";
            case 1 -> "<s>";
            case 2 -> "</s>";
            default -> "<0x%02X>".formatted(id - OFFSET);
        };
    }

    @Override
    public OptionalInt specialTokenId(String text) {
        return switch (text) {
            case "<s>" -> OptionalInt.of(1);
            case "</s>" -> OptionalInt.of(2);
            default -> OptionalInt.empty();
        };
    }
}
