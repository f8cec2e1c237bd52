package sortedllama.cli;

import picocli.CommandLine.Option;
import sortedllama.BadInputException;
import sortedllama.infer.DecodePlan;
import sortedllama.io.ModelFile;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaConfig;

/** Options choosing how tokens are decoded: depth, budget, speculative or adaptive. */
final class DecodeOptions {
    @Option(names = "--mode", paramLabel = "MODE",
            description = "full, exit, speculative or adaptive (default: exit with --exit-layer/--budget, else full).")
    String mode;

    @Option(names = "--budget", paramLabel = "B",
            description = "Compute budget in (0, 1]: use the deepest exit of --exits with at most B x L layers.")
    Double budget;

    @Option(names = "--exits", paramLabel = "LIST",
            description = "The model's exit set, e.g. 2,4,6 or every:4 or every:4@12 (default: the exits the model "
                    + "records as sorted-tuned, else every layer).")
    String exits;

    @Option(names = "--draft-exit", paramLabel = "K",
            description = "Speculative mode: the exit that drafts (default: the exit nearest 30%% of the depth).")
    Integer draftExit;

    @Option(names = "--draft-tokens", paramLabel = "G",
            description = "Speculative mode: tokens drafted per round, 1-14, the starting value when adaptive (default 4). Speculation "
                    + "falls back to plain decoding while its measured costs and acceptance promise less than a tenth of a gain.")
    Integer draftTokens;

    @Option(names = "--fixed-draft",
            description = "Speculative mode: keep G fixed instead of moving it to the draft length with the least expected time per token.")
    boolean fixedDraft;

    @Option(names = "--draft-schedule", paramLabel = "S", defaultValue = "planner",
            description = {"Speculative mode: how G moves. planner (default): the cost model above. heuristic: Hugging Face",
                    "transformers' rule (start at --draft-tokens, +2 after a round whose drafts were all accepted, -1 otherwise),",
                    "from acceptance alone, with no fall-back to plain decoding."})
    String draftSchedule;

    @Option(names = "--confidence", paramLabel = "C",
            description = "Adaptive mode: threshold on the top probability, one value for every exit (default 0.9) "
                    + "or per exit as 12:0.95,16:0.9,...")
    String confidence;

    @Option(names = "--kv-fill", paramLabel = "HOW",
            description = "Adaptive mode: keys/values of skipped layers: recompute (exact, default) or propagate (CALM's copy).")
    String kvFill;

    DecodePlan plan(Integer exitLayer, ModelFile file) {
        LlamaConfig config = file.config();
        ExitSet exitSet = exits == null ? file.exitSet() : ExitSet.parse(exits, config.nLayers());
        var plan = DecodePlan.of(mode, exitLayer, budget, draftExit, draftTokens, !fixedDraft, confidence, kvFill, exitSet, config);
        return switch (draftSchedule.strip()) {
            case "planner" -> plan;
            case "heuristic" -> {
                if (fixedDraft) throw new BadInputException("--draft-schedule heuristic moves G: drop --fixed-draft");
                yield plan.withHeuristicDraft();
            }
            default -> throw new BadInputException("--draft-schedule: unknown \"" + draftSchedule + "\" (planner or heuristic)");
        };
    }
}
