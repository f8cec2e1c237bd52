package sortedllama.train.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * {"prompt", "completion"} records (JSON Lines, or an array): the prompt verbatim, no template; the
 * loss covers the completion and EOS. Write the completion as it reads after the prompt, a leading
 * space included if it starts a new word (see {@link ExampleEncoder}).
 */
final class PromptCompletionFormat implements JsonRecords.RecordParser {
    private final ExampleEncoder encoder;

    PromptCompletionFormat(ExampleEncoder encoder) {
        this.encoder = encoder;
    }

    @Override
    public Example parse(JsonNode record) {
        return encoder.pair(JsonFields.text(record, "prompt"), JsonFields.nonEmptyText(record, "completion"), List.of());
    }
}
