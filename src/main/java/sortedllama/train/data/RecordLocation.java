package sortedllama.train.data;

import java.nio.file.Path;

/**
 * Where a record is: its file, the line it starts on and its number among the file's records (both
 * counted from 1, as editors and {@code sed -n} count).
 */
record RecordLocation(Path file, long line, long record) {
    @Override
    public String toString() {
        return file + ": line " + line + " (record " + record + ")";
    }
}
