package sortedllama.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import sortedllama.BadInputException;

/** Entry point of the {@code sorted-llama} command-line tool. */
@Command(name = "sorted-llama", mixinStandardHelpOptions = true, version = "sorted-llama 0.1.0",
        description = "Many-in-one LLaMA models: run any exit layer of a LLaMA checkpoint (llama2.c, "
                + "Hugging Face safetensors, GGUF).",
        subcommands = {GenerateCommand.class, TokenizeCommand.class, InfoCommand.class, ScoreCommand.class, BenchCommand.class,
                TrainCommand.class, MergeLoraCommand.class, ExportCommand.class, EvalCommand.class, ServeCommand.class, DemoCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {
    /** Exit status for bad usage or bad input, with a one-line message on stderr. */
    public static final int BAD_INPUT = 2;

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the tool as the shell would, returning the exit status (used by tests too). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler((ex, a) -> {
            err.println("sorted-llama: " + oneLine(ex.getMessage()) + " (see '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            return BAD_INPUT;
        });
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (ex instanceof BadInputException) {
                err.println("sorted-llama: " + oneLine(ex.getMessage()));
                return BAD_INPUT;
            }
            throw ex;
        });
        return cli.execute(args);
    }

    /** Bad input is reported on one line, whatever line breaks a message (a parser's, picocli's) carries. */
    static String oneLine(String message) {
        return String.valueOf(message).strip().replaceAll("\\s*\\R\\s*", "; ");
    }
}
