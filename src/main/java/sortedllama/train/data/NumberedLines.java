package sortedllama.train.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import sortedllama.BadInputException;

/** Reads a UTF-8 text file line by line, numbered from 1, so that every complaint can name its line. */
final class NumberedLines {
    private NumberedLines() {}

    interface LineHandler {
        void accept(long number, String line);
    }

    /** Hands each line to {@code handler}; a byte-order mark is dropped, invalid UTF-8 fails naming the line. */
    static void forEach(Path file, LineHandler handler) {
        long number = 0;
        try (BufferedReader in = Files.newBufferedReader(file)) {
            for (String line; ; ) {
                number++;
                line = in.readLine();
                if (line == null) return;
                if (number == 1 && line.startsWith("\uFEFF")) line = line.substring(1);
                handler.accept(number, line);
            }
        } catch (CharacterCodingException e) {
            throw new BadInputException(file + ": line " + number + ": not valid UTF-8", e);
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read: " + e.getMessage(), e);
        }
    }
}
