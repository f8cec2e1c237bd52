package sortedllama.tokenizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import sortedllama.BadInputException;

/**
 * llama2.c's {@code tokenizer.bin}: an int max token length, then per token a float score, an int
 * length and the bytes. Its exporter wrote '▁' as a plain space and dropped the piece types, which
 * are recovered here from LLaMA's conventions: 0 unknown, 1 and 2 control, {@code <0xXX>} bytes.
 * The file does not say how many tokens it holds; the model does (llama2.c passes vocab_size).
 */
final class Llama2cTokenizerReader {
    /** LLaMA 1/2's vocabulary size, assumed when no model tells the size. */
    static final int LLAMA2_VOCAB = 32000;

    private Llama2cTokenizerReader() {}

    static SentencePieceBpe read(Path path, int vocabSize) {
        ByteBuffer buf;
        try {
            buf = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new BadInputException(path + ": cannot read: " + e.getMessage());
        }
        int n = vocabSize > 0 ? vocabSize : LLAMA2_VOCAB;
        String[] pieces = new String[n];
        float[] scores = new float[n];
        int[] types = new int[n];
        try {
            int maxLength = buf.getInt();
            for (int i = 0; i < n; i++) {
                scores[i] = buf.getFloat();
                int len = buf.getInt();
                if (len < 0 || len > maxLength) throw new BadInputException(path + ": token " + i + " has length " + len + " (max " + maxLength + ")");
                byte[] bytes = new byte[len];
                buf.get(bytes);
                String text = new String(bytes, StandardCharsets.UTF_8);
                types[i] = i == 0 ? SentencePieceBpe.UNKNOWN : (i == 1 || i == 2) ? SentencePieceBpe.CONTROL
                        : text.matches("<0x[0-9A-F]{2}>") ? SentencePieceBpe.BYTE : SentencePieceBpe.NORMAL;
                pieces[i] = types[i] == SentencePieceBpe.NORMAL ? text.replace(' ', SentencePieceBpe.SPACE) : text;
            }
        } catch (java.nio.BufferUnderflowException e) {
            throw new BadInputException(path + ": truncated llama2.c tokenizer: expected " + n + " tokens");
        }
        if (buf.hasRemaining()) {
            throw new BadInputException(path + ": holds more than " + n + " tokens: the model's vocabulary does not match this tokenizer");
        }
        return new SentencePieceBpe(pieces, scores, types, 0, 1, 2, true, false, " \u2047 ");
    }
}
