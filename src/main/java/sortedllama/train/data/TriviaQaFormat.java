package sortedllama.train.data;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * TriviaQA, closed book: the model sees the question alone, in the fixed template
 * {@code "Question: {question}\nAnswer:"}, and learns to answer {@code " {value}"} then EOS. The
 * value and its aliases travel with the example ({@link Example#answers()}) for exact-match scoring.
 * Records are read from the official file ({"Data": [...], "Version": ...}) or from a flat array or
 * JSON Lines of the same records.
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

    /** The fields of one record; question and value are stripped of surrounding white space. */
    public static TriviaQaRecord record(JsonNode record) {
        String question = JsonFields.nonEmptyText(record, "Question").strip();
        JsonNode answer = JsonFields.requiredObject(record, "Answer");
        String value = JsonFields.nonEmptyText(answer, "Value").strip();
        return new TriviaQaRecord(question, value, JsonFields.optionalTexts(answer, "Aliases"));
    }

    @Override
    public Example parse(JsonNode json) {
        TriviaQaRecord r = record(json);
        return encoder.pair(prompt(r.question()), response(r.value()), r.answers());
    }
}
