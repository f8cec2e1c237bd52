package sortedllama.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An arena whose memory is a temporary file, mapped: for large tensors built only to be written out
 * (a LoRA merge makes float32 copies of every adapted projection, 26 GB for a 7B model). Their pages
 * are page cache that the kernel writes back and drops under memory pressure, where {@link Arena#ofShared()}
 * would need all of it in RAM. The file is deleted when the arena closes.
 */
public final class FileBackedArena implements Arena {
    private static final long PAGE = 4096;
    private final Arena mappings = Arena.ofShared();
    private final Path file;
    private final FileChannel channel;
    private long used;

    /** A fresh temporary file in {@code dir} (beside the output, so on a disk that has room for it). */
    public FileBackedArena(Path dir) {
        try {
            Files.createDirectories(dir);
            file = Files.createTempFile(dir, ".merge-", ".tmp");
            channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary file in " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized MemorySegment allocate(long byteSize, long byteAlignment) {
        long offset = (used + PAGE - 1) / PAGE * PAGE; // page-aligned, so any smaller alignment too
        if (byteAlignment > PAGE) throw new IllegalArgumentException("alignment " + byteAlignment + " above a page");
        try {
            used = offset + Math.max(1, byteSize);
            return channel.map(FileChannel.MapMode.READ_WRITE, offset, byteSize, mappings); // grows the file
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map " + byteSize + " bytes of " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public MemorySegment.Scope scope() {
        return mappings.scope();
    }

    @Override
    public void close() {
        mappings.close();
        try {
            channel.close();
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + file + ": " + e.getMessage(), e);
        }
    }
}
