package sortedllama.io;

import java.nio.file.Path;

/** Small files (JSON, text, reports) written the way models are: complete, or not at all. */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes {@code bytes} to {@code target} through a temporary file renamed over it. */
    public static void write(Path target, byte[] bytes) {
        BinaryOut.writeAtomically(target, out -> out.bytes(bytes));
    }

    public static void writeString(Path target, String text) {
        write(target, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
