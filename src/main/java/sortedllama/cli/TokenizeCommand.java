package sortedllama.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sortedllama.tokenizer.Tokenizers;

@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Print the token ids of a text as a JSON array (no BOS).")
final class TokenizeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--tokenizer", required = true, paramLabel = "PATH",
            description = "SentencePiece tokenizer.model, llama2.c tokenizer.bin or Hugging Face tokenizer.json.")
    Path tokenizer;

    @Option(names = "--text", required = true, paramLabel = "TEXT", description = "The text to encode.")
    String text;

    @Override
    public Integer call() {
        int[] ids = Tokenizers.load(tokenizer, -1).encode(text);
        spec.commandLine().getOut().println("[" + TokenIds.format(ids).replace(' ', ',') + "]");
        return 0;
    }
}
