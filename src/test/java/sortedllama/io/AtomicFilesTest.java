package sortedllama.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @Test
    void aFileWrittenAtomicallyGetsTheModeOfAnyNewFile(@TempDir Path dir) throws Exception {
        Path plain = Files.createFile(dir.resolve("plain.txt")); // the umask decides its mode
        Path atomic = dir.resolve("atomic.txt");
        AtomicFiles.writeString(atomic, "complete\n");
        AtomicFiles.writeString(atomic, "replaced\n");
        assertEquals("replaced\n", Files.readString(atomic));
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(atomic));
        try (var left = Files.list(dir)) {
            assertEquals(2, left.count(), "no temporary file left behind");
        }
    }
}
