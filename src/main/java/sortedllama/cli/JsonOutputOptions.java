package sortedllama.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;
import sortedllama.BadInputException;
import sortedllama.infer.json.JsonGrammars;
import sortedllama.infer.json.ValueGrammar;

/** --json and --json-schema: output constrained to JSON, as the server's response_format json_object and json_schema. */
final class JsonOutputOptions {
    @Option(names = "--json", description = "Constrain the output to a JSON object (the server's response_format json_object).")
    boolean object;

    @Option(names = "--json-schema", paramLabel = "FILE",
            description = "Constrain the output to a value of the JSON Schema in FILE (the subset the server's json_schema takes; "
                    + "any other keyword is refused by name).")
    Path schema;

    /** The grammar asked for, or null for free text. */
    ValueGrammar grammar() {
        if (object && schema != null) throw new BadInputException("give --json or --json-schema, not both");
        if (object) return JsonGrammars.anyObject();
        if (schema == null) return null;
        JsonNode node;
        try {
            node = new ObjectMapper().readTree(schema.toFile());
        } catch (JsonProcessingException e) {
            throw new BadInputException(schema + ": not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new BadInputException(schema + ": cannot be read (" + e.getMessage() + ")");
        }
        try {
            return JsonGrammars.fromSchema(node, "schema");
        } catch (BadInputException e) {
            throw new BadInputException(schema + ": " + e.getMessage());
        }
    }
}
