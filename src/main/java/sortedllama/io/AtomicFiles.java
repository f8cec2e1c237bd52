package sortedllama.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Small files (JSON, text, reports) written the way models are: complete, or not at all. */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes {@code bytes} to {@code target} through a temporary file renamed over it. */
    public static void write(Path target, byte[] bytes) {
        BinaryOut.writeAtomically(target, out -> out.bytes(bytes));
    }

    public static void writeString(Path target, String text) {
        write(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Forces a directory's entries to the disk, so that a file created or renamed in it survives a
     * power cut (POSIX: fsync on the directory). Where directories cannot be opened (Windows), the
     * rename is as durable as the file system makes it and there is nothing more to do.
     */
    public static void syncDirectory(Path dir) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(dir, StandardOpenOption.READ);
        } catch (IOException | UnsupportedOperationException e) {
            return;
        }
        try (ch) {
            ch.force(true);
        }
    }
}
