package sortedllama.demo;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import sortedllama.eval.QaEvaluator;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaModel;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.train.TrainableModel;
import sortedllama.train.TrainingRun;
import sortedllama.train.data.Example;

/**
 * Closed-book QA exact match at every exit while a model fine-tunes (the paper's Fig. 3, accuracy
 * over epochs): every {@code every} steps, and after the last, the model as it stands answers the
 * test questions greedily at each exit. The points are taken through the training loop's
 * checkpoint hook, so training itself is unchanged.
 */
final class QaCurve {
    /** One evaluation: the step and the exact match at each exit. */
    record Point(int step, Map<Integer, Double> exactMatch) {}

    private final List<Point> points = new ArrayList<>();

    List<Point> points() {
        return points;
    }

    /** The hook that evaluates {@code model} every {@code every} steps on {@code questions} at each exit. */
    TrainingRun.Checkpoints hook(int every, TrainableModel model, Tokenizer tokenizer, List<Example> questions, ExitSet exits) {
        return new TrainingRun.Checkpoints(every, trainer -> {
            LlamaModel now = new LlamaModel(model.toWeights(Arena.ofAuto()));
            Map<Integer, Double> em = new LinkedHashMap<>();
            for (var s : QaEvaluator.evaluate(now, tokenizer, questions, exits, ExitEvaluation.QA_MAX_TOKENS)) em.put(s.layer(), s.exactMatch());
            points.add(new Point(trainer.steps(), em));
        });
    }

    /** One line per method and exit over the steps. */
    static void plot(Path png, Map<String, QaCurve> curves) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(550).title("Closed-book QA exact match during fine-tuning")
                .xAxisTitle("step").yAxisTitle("exact match").build();
        curves.forEach((name, curve) -> {
            if (curve.points.isEmpty()) return;
            for (int exit : curve.points.getFirst().exactMatch().keySet()) {
                double[] x = new double[curve.points.size()], y = new double[x.length];
                for (int i = 0; i < x.length; i++) {
                    x[i] = curve.points.get(i).step();
                    y[i] = curve.points.get(i).exactMatch().get(exit);
                }
                chart.addSeries(name + " exit " + exit, x, y);
            }
        });
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
