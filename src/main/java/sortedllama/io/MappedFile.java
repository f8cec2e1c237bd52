package sortedllama.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import sortedllama.BadInputException;

/**
 * A whole file memory-mapped read-only into an arena (FFM: no 2 GiB limit, nothing copied to the
 * heap; the OS pages weights in on demand, so a model larger than half the RAM still loads), with
 * bounds-checked little-endian reads. Every reader goes through here, so a truncated or corrupt file
 * fails with a message naming the file and what was being read, never with an index error.
 */
final class MappedFile {
    final Path path;
    private final MemorySegment data;

    private MappedFile(Path path, MemorySegment data) {
        this.path = path;
        this.data = data;
    }

    /** Maps {@code path}; the mapping lives as long as {@code arena}. */
    static MappedFile open(Path path, Arena arena) {
        if (!Files.isRegularFile(path)) throw new BadInputException(path + ": no such file");
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return new MappedFile(path, ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena));
        } catch (NoSuchFileException e) {
            throw new BadInputException(path + ": no such file");
        } catch (IOException e) {
            throw new BadInputException(path + ": cannot read: " + e.getMessage());
        }
    }

    long size() {
        return data.byteSize();
    }

    /** The bytes [offset, offset+length), or an error saying the file is too short for {@code what}. */
    MemorySegment slice(long offset, long length, String what) {
        if (offset < 0 || length < 0 || offset > size() || length > size() - offset) {
            throw error("file is truncated or corrupt: " + what + " needs bytes " + offset + ".." + (offset + length)
                    + " but the file has " + size() + " bytes");
        }
        return data.asSlice(offset, length);
    }

    int readInt(long offset, String what) {
        return slice(offset, 4, what).get(ValueLayout.JAVA_INT_UNALIGNED, 0);
    }

    long readLong(long offset, String what) {
        return slice(offset, 8, what).get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
    }

    /** An error about this file: the message starts with its path. */
    BadInputException error(String message) {
        return new BadInputException(path + ": " + message);
    }

    /** A sequential reader starting at {@code offset}. */
    Cursor cursor(long offset) {
        return new Cursor(offset);
    }

    /** Reads consecutive little-endian values, each bounds-checked; {@code what} names it in errors. */
    final class Cursor {
        private long pos;

        private Cursor(long pos) {
            this.pos = pos;
        }

        long position() {
            return pos;
        }

        MemorySegment bytes(long length, String what) {
            MemorySegment s = slice(pos, length, what);
            pos += length;
            return s;
        }

        byte i8(String what) {
            return bytes(1, what).get(ValueLayout.JAVA_BYTE, 0);
        }

        short i16(String what) {
            return bytes(2, what).get(ValueLayout.JAVA_SHORT_UNALIGNED, 0);
        }

        int i32(String what) {
            return bytes(4, what).get(ValueLayout.JAVA_INT_UNALIGNED, 0);
        }

        long i64(String what) {
            return bytes(8, what).get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        }

        float f32(String what) {
            return Float.intBitsToFloat(i32(what));
        }

        double f64(String what) {
            return Double.longBitsToDouble(i64(what));
        }

        /** {@code length} bytes of UTF-8 text. */
        String utf8(long length, String what) {
            if (length < 0 || length > Integer.MAX_VALUE - 8) throw error("corrupt length " + length + " of " + what);
            return new String(bytes(length, what).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        }
    }
}
