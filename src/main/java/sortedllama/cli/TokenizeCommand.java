package sortedllama.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sortedllama.tokenizer.Tokenizers;

@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Print the token ids of a text as a JSON array (no BOS).",
                "The text is plain text: special tokens written in it (<s>, </s>, <|eot_id|>, ...) are encoded as their "
                        + "characters, never as control ids, unless --parse-special is given."})
final class TokenizeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--tokenizer", required = true, paramLabel = "PATH",
            description = "SentencePiece tokenizer.model, llama2.c tokenizer.bin, Hugging Face tokenizer.json, or a GGUF file "
                    + "(its embedded vocabulary: a model or a vocabulary-only file).")
    Path tokenizer;

    @Option(names = "--text", required = true, paramLabel = "TEXT", description = "The text to encode.")
    String text;

    @Option(names = "--parse-special", description = GenerateCommand.PARSE_SPECIAL)
    boolean parseSpecial;

    @Override
    public Integer call() {
        int[] ids = Tokenizers.load(tokenizer, -1).encode(text, parseSpecial);
        spec.commandLine().getOut().println("[" + TokenIds.format(ids).replace(' ', ',') + "]");
        return 0;
    }
}
