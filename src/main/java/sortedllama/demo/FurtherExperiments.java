package sortedllama.demo;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import sortedllama.eval.AnswerFile;
import sortedllama.eval.AnswerGenerator;
import sortedllama.eval.PositionAnalysis;
import sortedllama.io.AtomicFiles;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaModel;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.train.data.ExampleEncoder;

/**
 * The demo's experiments beyond the per-exit scores, on the SFT and SoFT models:
 * <ul>
 *   <li>the paper's Fig. 4/5: KL and cosine of every layer against SoFT's last layer at generated
 *       positions 0-19 ({@link PositionAnalysis}), within SoFT, within SFT, and SFT's layers against
 *       SoFT's last layer (the cross-model panel), over PandaLM's instructions when the tasks have
 *       them, else the held-out instructions the demo judges;</li>
 *   <li>Table 2's quality columns ({@link DecodingQuality}) on the SoFT model;</li>
 *   <li>answers to the instructions without references (PandaLM's 170) at every exit, written in
 *       {@code eval generate}'s format for {@code eval judge} with a judge model.</li>
 * </ul>
 *
 * @param positions    named grids: "SoFT", "SFT", "SFT vs SoFT's last layer"
 * @param decoding     Table 2's rows, greedy then sampled
 * @param openAnswers  the answer files written, by method
 * @param openTooLong  open instructions whose prompt fills the context (their answers are empty)
 */
record FurtherExperiments(Map<String, PositionAnalysis.Grid> positions, List<DecodingQuality.Row> decoding, Map<String, Path> openAnswers,
                          int openTooLong, int openInstructions) {

    /** Generated positions of the per-position analysis, as in the paper's figures. */
    static final int POSITIONS = 20;

    static FurtherExperiments run(LlamaModel sft, LlamaModel soft, Tokenizer tokenizer, DemoTasks tasks, ExitSet exits,
                                  DemoPipeline.Settings s, PrintWriter log) throws IOException {
        List<int[]> prompts = new ArrayList<>();
        if (tasks.openInstructions().isEmpty()) {
            var test = tasks.testInstructions();
            for (var i : test.subList(0, Math.min(s.instructions(), test.size()))) prompts.add(i.prompt());
        } else {
            var encoder = new ExampleEncoder(tokenizer);
            for (var i : tasks.openInstructions()) prompts.add(encoder.prompt(i.prompt()));
        }
        log.printf("    KL and cosine per generated position over %d prompts%n", prompts.size());
        Map<String, PositionAnalysis.Grid> positions = new LinkedHashMap<>();
        positions.put("SoFT", PositionAnalysis.of(soft, soft, prompts, POSITIONS));
        positions.put("SFT", PositionAnalysis.of(sft, sft, prompts, POSITIONS));
        positions.put("SFT vs SoFT's last layer", PositionAnalysis.of(soft, sft, prompts, POSITIONS));

        log.println("    decoding modes' answer quality (Table 2), greedy and sampled, on the SoFT model");
        var decoding = DecodingQuality.measure(soft, tokenizer, tasks, exits, s.questions(), s.instructions(), s.seed());

        Map<String, Path> files = new LinkedHashMap<>();
        int tooLong = 0;
        if (!tasks.openInstructions().isEmpty()) {
            log.printf("    answering %d open instructions at every exit%n", tasks.openInstructions().size());
            Map<String, LlamaModel> models = new LinkedHashMap<>();
            models.put("SFT", sft);
            models.put("SoFT", soft);
            for (var e : models.entrySet()) {
                var generator = new AnswerGenerator(e.getValue(), tokenizer, ExitEvaluation.INSTRUCTION_MAX_TOKENS);
                StringBuilder lines = new StringBuilder();
                tooLong = 0;
                for (var instruction : tasks.openInstructions()) {
                    if (generator.tooLong(instruction)) tooLong++;
                    generator.answer(instruction, exits, a -> lines.append(AnswerFile.line(a)).append('\n'));
                }
                Path file = s.out().resolve("pandalm-answers-" + e.getKey().toLowerCase(Locale.ROOT) + ".jsonl");
                AtomicFiles.writeString(file, lines.toString());
                files.put(e.getKey(), file);
            }
        }
        return new FurtherExperiments(positions, decoding, files, tooLong, tasks.openInstructions().size());
    }
}
