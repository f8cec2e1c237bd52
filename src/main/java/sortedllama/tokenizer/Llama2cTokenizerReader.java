package sortedllama.tokenizer;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import sortedllama.BadInputException;

/**
 * llama2.c's {@code tokenizer.bin}: an int32 max token length, then per token a float32 score, an
 * int32 length and the bytes, little-endian, up to the end of the file. Its exporter wrote '▁' as
 * a plain space, BOS and EOS as "\n&lt;s&gt;\n" and "\n&lt;/s&gt;\n", and dropped the piece
 * types; all three are undone here (types from LLaMA's conventions, see {@link PieceTypes}), so
 * that the same {@link SentencePieceBpe} encodes as with the tokenizer.model.
 */
final class Llama2cTokenizerReader {
    private static final int BOS = 1, EOS = 2;

    private Llama2cTokenizerReader() {}

    static SentencePieceBpe read(Path path) {
        ByteBuffer buf;
        try {
            buf = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new BadInputException(path + ": cannot read: " + e.getMessage(), e);
        }
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        try {
            int maxLength = buf.getInt();
            while (buf.hasRemaining()) {
                int i = pieces.size();
                scores.add(buf.getFloat());
                int length = buf.getInt();
                if (length <= 0 || length > maxLength) {
                    throw new BadInputException(path + ": token " + i + " has length " + length + " (the header says at most "
                            + maxLength + "): not a llama2.c tokenizer, or corrupt");
                }
                if (length > buf.remaining()) { // checked before allocating: the claim is the file's, the bytes may not be
                    throw new BadInputException(path + ": truncated llama2.c tokenizer: token " + i + " claims " + length
                            + " bytes but " + buf.remaining() + " remain");
                }
                byte[] bytes = new byte[length];
                buf.get(bytes);
                pieces.add(new String(bytes, StandardCharsets.UTF_8));
            }
        } catch (BufferUnderflowException e) {
            throw new BadInputException(path + ": truncated llama2.c tokenizer: it ends inside token " + pieces.size(), e);
        }
        if (pieces.size() <= EOS) throw new BadInputException(path + ": llama2.c tokenizer with only " + pieces.size() + " tokens");
        return build(pieces.toArray(String[]::new), scores, path);
    }

    private static SentencePieceBpe build(String[] pieces, List<Float> scoreList, Path path) {
        float[] scores = new float[pieces.length];
        for (int i = 0; i < pieces.length; i++) scores[i] = scoreList.get(i);
        pieces[BOS] = pieces[BOS].strip(); // "\n<s>\n" -> "<s>"
        pieces[EOS] = pieces[EOS].strip();
        int[] types = PieceTypes.llamaConventions(pieces, BOS, EOS);
        for (int i = 0; i < pieces.length; i++) {
            if (types[i] == PieceTypes.NORMAL) pieces[i] = pieces[i].replace(' ', SentencePieceNormalizer.SPACE_SYMBOL);
        }
        try {
            return new SentencePieceBpe(pieces, scores, types, BOS, EOS, true, SentencePieceNormalizer.LLAMA,
                    SentencePieceBpe.DEFAULT_UNK_SURFACE);
        } catch (BadInputException e) {
            throw new BadInputException(path + ": " + e.getMessage(), e);
        }
    }
}
