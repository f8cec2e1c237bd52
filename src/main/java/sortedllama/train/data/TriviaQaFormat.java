package sortedllama.train.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;

/**
 * TriviaQA, closed book: the model sees the question alone, in the fixed template
 * {@code "Question: {question}\nAnswer:"}, and learns to answer {@code " {value}"} then EOS. The
 * value and its aliases travel with the example ({@link Example#answers()}) for exact-match scoring.
 * Records are read as TriviaQA is distributed:
 * <ul>
 *   <li>the official file: {"Data": [{"Question", "Answer": {"Value", "Aliases", ...}}, ...], "Version": ...};</li>
 *   <li>a flat JSON array or JSON Lines of the same records;</li>
 *   <li>Hugging Face {@code datasets}' export (its {@code to_json}, JSON Lines, or an array): the same
 *       fields in lower case, {"question", "answer": {"value", "aliases", "normalized_aliases", ...}}.</li>
 * </ul>
 * The answers are the value and the aliases as written. The normalised aliases only stand in when a
 * record has no aliases: they are the aliases already lower-cased and stripped of punctuation, so
 * they add nothing to the normalised exact match and would let wrongly cased answers pass the
 * case-sensitive one.
 */
public final class TriviaQaFormat implements JsonRecords.RecordParser {
    /** The field of the official file that holds the records. */
    static final String WRAPPER_KEY = "Data";

    private final ExampleEncoder encoder;

    TriviaQaFormat(ExampleEncoder encoder) {
        this.encoder = encoder;
    }

    /** What the model is given: the same at training and at evaluation time. */
    public static String prompt(String question) {
        return "Question: " + question + "\nAnswer:";
    }

    /** What the model learns to say after the prompt (EOS follows). */
    public static String response(String value) {
        return " " + value;
    }

    /** The fields of one record, in either spelling; question and value are stripped of surrounding white space. */
    public static TriviaQaRecord record(JsonNode record) {
        String question = JsonFields.nonEmptyText(record, JsonFields.spelling(record, "Question", "question")).strip();
        JsonNode answer = JsonFields.requiredObject(record, JsonFields.spelling(record, "Answer", "answer"));
        String value = JsonFields.nonEmptyText(answer, JsonFields.spelling(answer, "Value", "value")).strip();
        List<String> aliases = JsonFields.optionalTexts(answer, JsonFields.spelling(answer, "Aliases", "aliases"));
        if (aliases.isEmpty()) {
            aliases = JsonFields.optionalTexts(answer, JsonFields.spelling(answer, "NormalizedAliases", "normalized_aliases"));
        }
        return new TriviaQaRecord(question, value, aliases);
    }

    /** The records of a file in any of the layouts above, in file order (for tools that need the text, not the tokens). */
    public static List<TriviaQaRecord> records(Path file, BadRecords bad) {
        return JsonRecords.records(file, WRAPPER_KEY, (record, where) -> record(record), bad);
    }

    @Override
    public Example parse(JsonNode json) {
        TriviaQaRecord r = record(json);
        return encoder.pair(prompt(r.question()), response(r.value()), r.answers());
    }
}
