package sortedllama.train.checkpoint;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import sortedllama.io.AtomicFiles;

/**
 * The file operations a checkpoint is written with, one call per step that a crash can fall between.
 * {@link #DISK} does them durably; tests substitute an implementation that "crashes" at a chosen
 * operation, to prove that every interruption leaves an intact checkpoint behind.
 */
public interface FileOps {
    /** What writes a file's contents. */
    interface Body {
        void write(OutputStream out) throws IOException;
    }

    /** Creates {@code dir} and any missing parents. */
    void createDirectories(Path dir) throws IOException;

    /** Writes a new file and forces its bytes to the disk before returning. */
    void write(Path file, Body body) throws IOException;

    /** Forces a directory's entries (files created, renamed or deleted in it) to the disk. */
    void syncDirectory(Path dir) throws IOException;

    /** Renames in one atomic step: afterwards {@code to} exists complete, or (after a crash) {@code from} still does. */
    void move(Path from, Path to) throws IOException;

    /** Deletes one file or empty directory. */
    void delete(Path path) throws IOException;

    FileOps DISK = new FileOps() {
        @Override
        public void createDirectories(Path dir) throws IOException {
            Files.createDirectories(dir);
        }

        @Override
        public void write(Path file, Body body) throws IOException {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 20);
                body.write(out);
                out.flush();
                ch.force(true);
            }
        }

        @Override
        public void syncDirectory(Path dir) throws IOException {
            AtomicFiles.syncDirectory(dir);
        }

        @Override
        public void move(Path from, Path to) throws IOException {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        }

        @Override
        public void delete(Path path) throws IOException {
            Files.deleteIfExists(path);
        }
    };
}
