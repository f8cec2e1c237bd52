package sortedllama.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import sortedllama.BadInputException;

/**
 * A whole file memory-mapped read-only (FFM: no 2 GiB limit, nothing copied to the heap), with
 * bounds-checked reads that fail with a message naming the file instead of an index error.
 */
final class MappedFile {
    final Path path;
    final MemorySegment data;

    private MappedFile(Path path, MemorySegment data) {
        this.path = path;
        this.data = data;
    }

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

    /** The bytes [offset, offset+length) or an error saying the file is truncated there. */
    MemorySegment slice(long offset, long length, String what) {
        require(offset, length, what);
        return data.asSlice(offset, length);
    }

    void require(long offset, long length, String what) {
        if (offset < 0 || length < 0 || offset + length > size()) {
            throw new BadInputException(path + ": file is truncated or corrupt: " + what + " needs bytes " + offset + ".."
                    + (offset + length) + " but the file has " + size() + " bytes");
        }
    }

    int readInt(long offset, String what) {
        require(offset, 4, what);
        return data.get(ValueLayout.JAVA_INT_UNALIGNED, offset);
    }

    long readLong(long offset, String what) {
        require(offset, 8, what);
        return data.get(ValueLayout.JAVA_LONG_UNALIGNED, offset);
    }

    BadInputException error(String message) {
        return new BadInputException(path + ": " + message);
    }
}
