package sortedllama.tokenizer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Just enough of the protobuf wire format to read a SentencePiece model: a cursor over one
 * message's bytes. Any malformation (a length past the end, an unknown wire type) throws
 * {@link Malformed}, which the reader turns into a message naming the file.
 */
final class ProtobufWire {
    static final int VARINT = 0, FIXED64 = 1, LENGTH_DELIMITED = 2, FIXED32 = 5;

    /** The bytes are not a well-formed protobuf message. */
    static final class Malformed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message);
        }
    }

    private final byte[] bytes;
    private int pos;
    private final int end;
    private int tag;

    ProtobufWire(byte[] bytes) {
        this(bytes, 0, bytes.length);
    }

    private ProtobufWire(byte[] bytes, int pos, int end) {
        this.bytes = bytes;
        this.pos = pos;
        this.end = end;
    }

    /** Reads the next field's tag; false at the end of the message. */
    boolean nextField() {
        if (pos >= end) return false;
        tag = (int) rawVarint();
        return true;
    }

    int fieldNumber() {
        return tag >>> 3;
    }

    private int wireType() {
        return tag & 7;
    }

    long varint() {
        expect(VARINT);
        return rawVarint();
    }

    int int32() {
        return (int) varint();
    }

    boolean bool() {
        return varint() != 0;
    }

    float float32() {
        expect(FIXED32);
        need(4);
        float f = ByteBuffer.wrap(bytes, pos, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat();
        pos += 4;
        return f;
    }

    ProtobufWire message() {
        expect(LENGTH_DELIMITED);
        int length = length();
        ProtobufWire sub = new ProtobufWire(bytes, pos, pos + length);
        pos += length;
        return sub;
    }

    byte[] bytesField() {
        expect(LENGTH_DELIMITED);
        int length = length();
        byte[] out = Arrays.copyOfRange(bytes, pos, pos + length);
        pos += length;
        return out;
    }

    String string() {
        return new String(bytesField(), StandardCharsets.UTF_8);
    }

    /** Skips the current field's value. */
    void skip() {
        switch (wireType()) {
            case VARINT -> rawVarint();
            case FIXED64 -> advance(8);
            case LENGTH_DELIMITED -> advance(length());
            case FIXED32 -> advance(4);
            default -> throw new Malformed("unsupported wire type " + wireType() + " at byte " + pos);
        }
    }

    private void expect(int wireType) {
        if (wireType() != wireType) {
            throw new Malformed("field " + fieldNumber() + " has wire type " + wireType() + ", expected " + wireType);
        }
    }

    private long rawVarint() {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            need(1);
            byte b = bytes[pos++];
            result |= (long) (b & 0x7F) << shift;
            if (b >= 0) return result;
        }
        throw new Malformed("varint longer than 10 bytes at byte " + pos);
    }

    private int length() {
        long length = rawVarint();
        if (length < 0 || length > end - pos) throw new Malformed("length " + length + " runs past the end at byte " + pos);
        return (int) length;
    }

    private void advance(int n) {
        need(n);
        pos += n;
    }

    private void need(int n) {
        if (n > end - pos) throw new Malformed("message ends early at byte " + pos);
    }
}
