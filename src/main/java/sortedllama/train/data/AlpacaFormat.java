package sortedllama.train.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;

/**
 * Stanford Alpaca records: {"instruction", "input", "output"}, "input" optional. The prompt is
 * Alpaca's template, character for character as in tatsu-lab/stanford_alpaca's train.py (which ends
 * at "### Response:" with no newline; the README's rendering suggests one, the training code has
 * none); the output follows directly and is what the loss covers, with EOS.
 *
 * <p>Read as a JSON array (Stanford Alpaca's files) or JSON Lines (Hugging Face {@code datasets}'
 * export; its extra "text" field, the filled-in template, is ignored). A blank instruction is
 * accepted when the input says what to do: PandaLM's evaluation set has one (instruction " ", input
 * "Truthfulness"), and its N = 170 counts it. A record with neither is refused.
 */
public final class AlpacaFormat implements JsonRecords.RecordParser {
    private static final String WITH_INPUT = "Below is an instruction that describes a task, paired with an input that provides "
            + "further context. Write a response that appropriately completes the request.\n\n";
    private static final String WITHOUT_INPUT = "Below is an instruction that describes a task. "
            + "Write a response that appropriately completes the request.\n\n";

    private final ExampleEncoder encoder;

    AlpacaFormat(ExampleEncoder encoder) {
        this.encoder = encoder;
    }

    /** The prompt for an instruction and its input; an empty input selects the template without one, as in train.py. */
    public static String prompt(String instruction, String input) {
        if (input.isEmpty()) return WITHOUT_INPUT + "### Instruction:\n" + instruction + "\n\n### Response:";
        return WITH_INPUT + "### Instruction:\n" + instruction + "\n\n### Input:\n" + input + "\n\n### Response:";
    }

    /**
     * An instruction to answer at evaluation time. {@code id} is the record's "id" field (a string or
     * a number) if it has one, else its number in the file, counted from 1, so that ids stay the same
     * when bad records are skipped or the file is cut with --limit. {@code output} is the reference
     * answer, "" when the record has none (PandaLM's evaluation set).
     */
    public record Instruction(String id, String instruction, String input, String output) {
        public String prompt() {
            return AlpacaFormat.prompt(instruction, input);
        }
    }

    /** The instructions of an Alpaca file, in file order, with their "output" if they have one. */
    public static List<Instruction> instructions(Path file, BadRecords bad) {
        return JsonRecords.records(file, null, (record, where) -> {
            JsonNode id = record.get("id");
            String name = id != null && (id.isTextual() || id.isIntegralNumber()) ? id.asText() : Long.toString(where.record());
            String input = JsonFields.optionalText(record, "input");
            return new Instruction(name, instruction(record, input), input, JsonFields.optionalText(record, "output"));
        }, bad);
    }

    /** The instruction as written, blank or not, unless the input is blank too (then nothing asks for anything). */
    private static String instruction(JsonNode record, String input) {
        String instruction = JsonFields.text(record, "instruction");
        if (instruction.isBlank() && input.isBlank()) throw new InvalidRecordException("fields \"instruction\" and \"input\" are both empty");
        return instruction;
    }

    @Override
    public Example parse(JsonNode record) {
        String input = JsonFields.optionalText(record, "input");
        String instruction = instruction(record, input);
        String output = JsonFields.nonEmptyText(record, "output");
        return encoder.pair(prompt(instruction, input), output, List.of());
    }
}
