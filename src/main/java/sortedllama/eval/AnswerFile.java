package sortedllama.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sortedllama.BadInputException;

/** Answers as JSON Lines: {"id", "instruction", "input", "exit", "output"}, one per (instruction, exit). */
public final class AnswerFile {
    private static final ObjectMapper JSON = new ObjectMapper();

    private AnswerFile() {}

    public static String line(Answer a) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", a.id());
        row.put("instruction", a.instruction());
        row.put("input", a.input());
        row.put("exit", a.exit());
        row.put("output", a.output());
        try {
            return JSON.writeValueAsString(row);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every answer of a file; any line that is not such a record is an error naming the line. */
    public static List<Answer> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read: " + e.getMessage(), e);
        }
        List<Answer> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            String where = file + ": line " + (i + 1);
            JsonNode row;
            try {
                row = JSON.readTree(lines.get(i));
            } catch (JsonProcessingException e) {
                throw new BadInputException(where + ": malformed JSON: " + e.getOriginalMessage(), e);
            }
            JsonNode exit = row.get("exit");
            if (exit == null || !exit.isInt()) throw new BadInputException(where + ": \"exit\" must be an integer layer");
            out.add(new Answer(text(row, "id", where), text(row, "instruction", where), text(row, "input", where), exit.intValue(),
                    text(row, "output", where)));
        }
        return out;
    }

    private static String text(JsonNode row, String field, String where) {
        JsonNode v = row.get(field);
        if (v == null || !v.isTextual()) throw new BadInputException(where + ": \"" + field + "\" must be a string (is this a file of eval generate?)");
        return v.textValue();
    }
}
