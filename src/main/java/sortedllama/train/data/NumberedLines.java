package sortedllama.train.data;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import sortedllama.BadInputException;

/**
 * Reads a UTF-8 text file line by line, numbered from 1, so that every complaint can name its line.
 * Lines are split on bytes and each is decoded on its own: a decoder reading ahead (as
 * BufferedReader's does, 8 KB at a time) would report an invalid byte at the line it had handed out
 * last rather than the line the byte is on.
 */
final class NumberedLines {
    private NumberedLines() {}

    interface LineHandler {
        void accept(long number, String line);
    }

    /** Hands each line to {@code handler}; a byte-order mark is dropped, invalid UTF-8 fails naming the line. */
    static void forEach(Path file, LineHandler handler) {
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        long number = 0;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (int b = 0; b != -1; ) {
                b = in.read();
                if (b != -1 && b != '\n') {
                    bytes.write(b);
                    continue;
                }
                if (b == -1 && bytes.size() == 0) return; // a final newline ends the last line rather than starting one
                number++;
                String line;
                try {
                    line = utf8.decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
                } catch (CharacterCodingException e) {
                    throw new BadInputException(file + ": line " + number + ": not valid UTF-8");
                }
                bytes.reset();
                if (line.endsWith("\r")) line = line.substring(0, line.length() - 1);
                if (number == 1 && line.startsWith("\uFEFF")) line = line.substring(1);
                handler.accept(number, line);
            }
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read: " + e.getMessage(), e);
        }
    }
}
