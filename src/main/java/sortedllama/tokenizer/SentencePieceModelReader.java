package sortedllama.tokenizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import sortedllama.BadInputException;

/**
 * Reads a SentencePiece {@code tokenizer.model} (a ModelProto in protobuf wire format) with the few
 * fields encoding needs: the pieces with scores and types, the model type, byte fallback, the
 * special ids and the normaliser's whitespace rules. Only BPE models with the "identity"
 * normaliser (LLaMA 1/2) are accepted; anything else is refused by name rather than mis-encoded.
 */
final class SentencePieceModelReader {
    private SentencePieceModelReader() {}

    static SentencePieceBpe read(Path path) {
        byte[] data;
        try {
            data = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new BadInputException(path + ": cannot read: " + e.getMessage());
        }
        try {
            return parse(data, path);
        } catch (IndexOutOfBoundsException | java.nio.BufferUnderflowException e) {
            throw new BadInputException(path + ": truncated or corrupt SentencePiece model");
        }
    }

    private static SentencePieceBpe parse(byte[] data, Path path) {
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        int modelType = 1, unk = 0, bos = 1, eos = 2;
        boolean byteFallback = false, dummyPrefix = true, removeExtra = true;
        String normalizer = "nmt_nfkc", unkSurface = " \u2047 ";
        Wire top = new Wire(data, 0, data.length);
        while (top.more()) {
            int key = top.varint32();
            int field = key >>> 3;
            if (field == 1 && (key & 7) == 2) {
                Wire p = top.message();
                String piece = "";
                float score = 0;
                int type = SentencePieceBpe.NORMAL;
                while (p.more()) {
                    int k = p.varint32();
                    switch (k >>> 3) {
                        case 1 -> piece = p.string();
                        case 2 -> score = p.float32(k);
                        case 3 -> type = (int) p.varint();
                        default -> p.skip(k);
                    }
                }
                pieces.add(piece);
                scores.add(score);
                types.add(type);
            } else if (field == 2 && (key & 7) == 2) {
                Wire t = top.message();
                while (t.more()) {
                    int k = t.varint32();
                    switch (k >>> 3) {
                        case 3 -> modelType = (int) t.varint();
                        case 35 -> byteFallback = t.varint() != 0;
                        case 40 -> unk = (int) t.varint();
                        case 41 -> bos = (int) t.varint();
                        case 42 -> eos = (int) t.varint();
                        case 44 -> unkSurface = t.string();
                        default -> t.skip(k);
                    }
                }
            } else if (field == 3 && (key & 7) == 2) {
                Wire n = top.message();
                while (n.more()) {
                    int k = n.varint32();
                    switch (k >>> 3) {
                        case 1 -> normalizer = n.string();
                        case 3 -> dummyPrefix = n.varint() != 0;
                        case 4 -> removeExtra = n.varint() != 0;
                        default -> n.skip(k);
                    }
                }
            } else {
                top.skip(key);
            }
        }
        if (pieces.isEmpty()) throw new BadInputException(path + ": not a SentencePiece model (no pieces)");
        if (modelType != 2) throw new BadInputException(path + ": SentencePiece model type " + modelType + " is not supported (BPE, type 2, is)");
        if (!normalizer.equals("identity")) {
            throw new BadInputException(path + ": SentencePiece normaliser \"" + normalizer + "\" is not supported (identity is, as LLaMA uses)");
        }
        float[] s = new float[scores.size()];
        int[] ty = new int[types.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = scores.get(i);
            ty[i] = types.get(i);
            if (!byteFallback && ty[i] == SentencePieceBpe.BYTE) ty[i] = SentencePieceBpe.UNUSED;
        }
        return new SentencePieceBpe(pieces.toArray(String[]::new), s, ty, unk, bos, eos, dummyPrefix, removeExtra, unkSurface);
    }

    /** A protobuf wire-format reader over a byte range. */
    private static final class Wire {
        final byte[] b;
        int pos;
        final int end;

        Wire(byte[] b, int pos, int end) {
            this.b = b;
            this.pos = pos;
            this.end = end;
        }

        boolean more() {
            return pos < end;
        }

        long varint() {
            long result = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) throw new IndexOutOfBoundsException();
                byte x = b[pos++];
                result |= (long) (x & 0x7F) << shift;
                if (x >= 0) return result;
            }
            throw new IndexOutOfBoundsException();
        }

        int varint32() {
            return (int) varint();
        }

        Wire message() {
            int len = varint32();
            if (len < 0 || pos + len > end) throw new IndexOutOfBoundsException();
            Wire w = new Wire(b, pos, pos + len);
            pos += len;
            return w;
        }

        String string() {
            Wire w = message();
            return new String(b, w.pos, w.end - w.pos, StandardCharsets.UTF_8);
        }

        float float32(int key) {
            if ((key & 7) != 5) throw new IndexOutOfBoundsException();
            if (pos + 4 > end) throw new IndexOutOfBoundsException();
            float f = ByteBuffer.wrap(b, pos, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat();
            pos += 4;
            return f;
        }

        void skip(int key) {
            switch (key & 7) {
                case 0 -> varint();
                case 1 -> pos += 8;
                case 2 -> message();
                case 5 -> pos += 4;
                default -> throw new IndexOutOfBoundsException();
            }
            if (pos > end) throw new IndexOutOfBoundsException();
        }
    }
}
