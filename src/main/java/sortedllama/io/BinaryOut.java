package sortedllama.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import sortedllama.BadInputException;

/**
 * Buffered little-endian output to a file that appears atomically: {@link #writeAtomically} writes
 * a temporary file in the target's directory and renames it over the target only when complete, so
 * a crash or a full disk never leaves a half-written model (and a model that is being read from
 * the old file keeps its mapping). Tensor data is copied from its memory segments in chunks, so
 * writing never needs the whole model on the heap. Like the readers (and ggml), this assumes a
 * little-endian machine: float arrays and segments are copied in native byte order.
 */
final class BinaryOut {
    /** What writes the file's contents. */
    interface Body {
        void write(BinaryOut out) throws IOException;
    }

    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    private long flushed;

    private BinaryOut(FileChannel channel) {
        this.channel = channel;
    }

    static void writeAtomically(Path target, Body body) {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            // not Files.createTempFile, whose files are private (0600): the target gets the mode the umask gives any new file
            tmp = dir.resolve("." + target.getFileName() + "." + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                BinaryOut out = new BinaryOut(ch);
                body.write(out);
                out.flush();
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
            AtomicFiles.syncDirectory(dir); // the rename itself survives a power cut
        } catch (IOException e) {
            throw new BadInputException(target + ": cannot write: " + e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: the write has already failed and that is the error to report
                }
            }
        }
    }

    /** Bytes written so far. */
    long position() {
        return flushed + buffer.position();
    }

    private void room(int bytes) throws IOException {
        if (buffer.remaining() < bytes) flush();
    }

    private void flush() throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) flushed += channel.write(buffer);
        buffer.clear();
    }

    void i8(int v) throws IOException {
        room(1);
        buffer.put((byte) v);
    }

    void i32(int v) throws IOException {
        room(4);
        buffer.putInt(v);
    }

    void i64(long v) throws IOException {
        room(8);
        buffer.putLong(v);
    }

    void f32(float v) throws IOException {
        room(4);
        buffer.putFloat(v);
    }

    void f64(double v) throws IOException {
        room(8);
        buffer.putDouble(v);
    }

    void bytes(byte[] b) throws IOException {
        segment(MemorySegment.ofArray(b));
    }

    void utf8(String s) throws IOException {
        bytes(s.getBytes(StandardCharsets.UTF_8));
    }

    void floats(float[] v) throws IOException {
        segment(MemorySegment.ofArray(v));
    }

    /** Zero bytes up to the next multiple of {@code alignment}. */
    void padTo(long alignment) throws IOException {
        while (position() % alignment != 0) i8(0);
    }

    /** The segment's bytes, through the buffer in chunks (segments may exceed 2 GiB). */
    void segment(MemorySegment s) throws IOException {
        long off = 0, n = s.byteSize();
        while (off < n) {
            room(1);
            int chunk = (int) Math.min(buffer.remaining(), n - off);
            MemorySegment.ofBuffer(buffer).asSlice(0, chunk).copyFrom(s.asSlice(off, chunk)); // ofBuffer starts at position()
            buffer.position(buffer.position() + chunk);
            off += chunk;
        }
    }
}
