package sortedllama.train.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import sortedllama.BadInputException;

/**
 * The records of a JSON data file, each parsed into an example. Three layouts, told apart by the
 * first character:
 * <ul>
 *   <li>{@code [}: a JSON array of records, streamed (the file may be larger than memory);</li>
 *   <li>{@code {} with a wrapper key (TriviaQA's "Data") that the first object holds as an array: the
 *       records are that array's elements, streamed; the object's other fields are ignored;</li>
 *   <li>otherwise JSON Lines: one record per line, blank lines ignored.</li>
 * </ul>
 * A bad line of JSON Lines is one bad record, skipped or fatal as {@link BadRecords} says. A syntax
 * error inside an array cannot be stepped over (nothing says where the next record starts), so it
 * always fails, naming the line.
 */
final class JsonRecords {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A line of JSON Lines holds one value: anything after it is an error, not a second record. */
    private static final ObjectReader ONE_VALUE = JSON.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private JsonRecords() {}

    /** Turns one record, a JSON object, into an example; throws {@link InvalidRecordException} if it cannot. */
    interface RecordParser {
        Example parse(JsonNode record);
    }

    private interface RecordHandler {
        void accept(JsonNode record, RecordLocation where);
    }

    /**
     * @param wrapperKey the field of a top-level object that holds the records, or null when the
     *                   format has no such wrapper
     */
    static List<Example> examples(Path file, String wrapperKey, RecordParser parser, BadRecords bad) {
        return records(file, wrapperKey, (record, where) -> parser.parse(record), bad);
    }

    /**
     * The records of a file turned into anything, not only examples (evaluation reads instructions
     * without their outputs); the parser also gets the record's place, e.g. for a default id.
     */
    static <T> List<T> records(Path file, String wrapperKey, BiFunction<JsonNode, RecordLocation, T> parser, BadRecords bad) {
        List<T> out = new ArrayList<>();
        RecordHandler handler = (record, where) -> {
            if (!record.isObject()) {
                bad.reject(where, "a record must be a JSON object, not " + JsonFields.kind(record));
                return;
            }
            try {
                out.add(parser.apply(record, where));
            } catch (InvalidRecordException e) {
                bad.reject(where, e.getMessage());
            }
        };
        switch (firstCharacter(file)) {
            case -1 -> { } // empty: no records (TrainingData refuses to train on nothing)
            case '[' -> readArray(file, null, handler);
            default -> {
                // a wrapper object, or JSON Lines (whose lines readLines checks one by one)
                if (wrapperKey == null || !readArray(file, wrapperKey, handler)) readLines(file, handler, bad);
            }
        }
        return out;
    }

    /**
     * Streams the elements of the top-level array, or of the wrapper object's array under
     * {@code wrapperKey}; false when the file's first object has no such array (it is JSON Lines).
     */
    private static boolean readArray(Path file, String wrapperKey, RecordHandler handler) {
        try (JsonParser p = JSON.createParser(file.toFile())) {
            boolean atArray = wrapperKey == null ? p.nextToken() == JsonToken.START_ARRAY : seekWrapperArray(p, wrapperKey);
            if (!atArray) return false;
            long index = 0;
            while (p.nextToken() != JsonToken.END_ARRAY) {
                var where = new RecordLocation(file, p.currentTokenLocation().getLineNr(), ++index);
                handler.accept(JSON.readTree(p), where);
            }
            if (wrapperKey == null && p.nextToken() != null) {
                throw new BadInputException(file + ": line " + p.currentTokenLocation().getLineNr()
                        + ": more content after the array of records");
            }
            return true;
        } catch (JsonProcessingException e) {
            long line = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
            throw new BadInputException(file + ": line " + line + ": malformed JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * Moves into the first object's array field {@code key}; false (having read no record) when it has
     * none, or when that object is not even valid JSON (JSON Lines with a bad first line, reported by
     * {@link #readLines}).
     */
    private static boolean seekWrapperArray(JsonParser p, String key) throws IOException {
        try {
            if (p.nextToken() != JsonToken.START_OBJECT) return false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                if (p.nextToken() == JsonToken.START_ARRAY && name.equals(key)) return true;
                p.skipChildren();
            }
            return false;
        } catch (JsonProcessingException e) {
            return false;
        }
    }

    private static void readLines(Path file, RecordHandler handler, BadRecords bad) {
        long[] index = {0};
        NumberedLines.forEach(file, (number, line) -> {
            if (line.isBlank()) return;
            var where = new RecordLocation(file, number, ++index[0]);
            JsonNode record;
            try {
                record = ONE_VALUE.readTree(line);
            } catch (JsonProcessingException e) {
                bad.reject(where, "malformed JSON: " + e.getOriginalMessage());
                return;
            }
            handler.accept(record, where);
        });
    }

    /** The first character that is not white space or a byte-order mark, or -1 for an empty file. */
    private static int firstCharacter(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            for (int b; (b = in.read()) != -1; ) {
                if (!Character.isWhitespace(b) && b != 0xEF && b != 0xBB && b != 0xBF) return b;
            }
            return -1;
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read: " + e.getMessage(), e);
        }
    }
}
