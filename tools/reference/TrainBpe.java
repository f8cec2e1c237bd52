import java.nio.file.Files;
import java.nio.file.Path;
import sortedllama.tokenizer.BpeTrainer;

/**
 * Trains a byte-level BPE tokenizer (sorted-llama's own trainer, as the demo's base model uses) on a text file.
 *
 * usage: java -cp target/sorted-llama.jar tools/reference/TrainBpe.java CORPUS.txt VOCAB OUT/tokenizer.json
 */
public class TrainBpe {
    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: TrainBpe CORPUS.txt VOCAB OUT/tokenizer.json");
            System.exit(2);
        }
        Files.writeString(Path.of(args[2]), BpeTrainer.train(Files.readString(Path.of(args[0])), Integer.parseInt(args[1])));
    }
}
