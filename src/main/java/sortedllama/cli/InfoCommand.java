package sortedllama.cli;

import java.io.PrintWriter;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import sortedllama.io.ModelFile;
import sortedllama.tensor.Tensor;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Print a model's config, its tensors with types and shapes, and its parameter count.")
final class InfoCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOptions modelOptions;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (ModelFile file = modelOptions.open()) {
            var c = file.config();
            var weights = file.weights(); // validates every tensor against the config
            out.printf("file:            %s%nformat:          %s%n", file.path(), file.format());
            out.printf("layers (exits):  %d (exit layers 1..%d)%n", c.nLayers(), c.nLayers());
            out.printf("dim:             %d%nhidden dim:      %d%n", c.dim(), c.hiddenDim());
            out.printf("heads:           %d query, %d key/value, head dim %d%n", c.nHeads(), c.nKvHeads(), c.headDim());
            out.printf("vocab:           %d%ncontext:         %d%n", c.vocabSize(), c.contextLength());
            out.printf("rms norm eps:    %g%nrope theta:      %s%nrope layout:     %s%n", c.normEps(),
                    c.ropeTheta(), c.ropeLayout());
            if (c.ropeScaling() != null) out.printf("rope scaling:    %s%n", c.ropeScaling());
            out.printf("tied head:       %s%nbos / eos:       %d / %d%n", weights.tiedOutput(), c.bosId(), c.eosId());
            if (!weights.exitHeads.isEmpty()) out.printf("own exit heads:  %s (SFT+ICT; the other exits share the head)%n", weights.exitHeads.keySet());
            if (file.embeddedTokenizer() != null) {
                out.printf("vocabulary:      embedded, %d tokens%n", file.embeddedTokenizer().vocabSize());
            }
            if (!file.metadata().isEmpty()) {
                out.println();
                out.println("metadata:");
                file.metadata().entrySet().stream().sorted(Map.Entry.comparingByKey())
                        .forEach(e -> out.printf("  %s = %s%n", e.getKey(), e.getValue()));
            }
            out.println();
            out.println("tensors:");
            long params = 0, bytes = 0;
            var tensors = file.tensors().values().stream().sorted(Comparator.comparing(Tensor::name)).toList();
            for (Tensor t : tensors) {
                out.printf("  %-48s %-5s %s%n", t.name(), t.type(), t.shapeString());
                params += t.elementCount();
                bytes += t.data().byteSize();
            }
            out.printf("%nparameters:      %,d (%d tensors, %.1f MiB stored)%n", params, tensors.size(), bytes / 1048576.0);
        }
        return 0;
    }
}
