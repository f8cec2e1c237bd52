package sortedllama.eval;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/** The per-position analysis as line charts (the paper's Fig. 4/5): one line per layer over the generated positions. */
public final class PositionPlots {
    private PositionPlots() {}

    /**
     * Writes {@code prefix}-kl-per-position.png and {@code prefix}-cosine-per-position.png into {@code dir}:
     * for each named grid (e.g. "SoFT" and "SFT") one line per layer, the reference's own last layer left out
     * when it is the model itself (it is 0 and 1 throughout).
     */
    public static void write(Path dir, String prefix, String subject, Map<String, PositionAnalysis.Grid> grids, boolean dropLastLayer)
            throws IOException {
        plot(dir.resolve(prefix + "-kl-per-position.png"), "KL from " + subject + " per generated position", "KL (nats)", grids,
                dropLastLayer, true);
        plot(dir.resolve(prefix + "-cosine-per-position.png"), "Cosine with " + subject + " per generated position", "cosine", grids,
                dropLastLayer, false);
    }

    private static void plot(Path png, String title, String yTitle, Map<String, PositionAnalysis.Grid> grids, boolean dropLastLayer,
                             boolean kl) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(550).title(title).xAxisTitle("generated position").yAxisTitle(yTitle).build();
        grids.forEach((name, g) -> {
            int layers = dropLastLayer ? g.layers() - 1 : g.layers();
            for (int l = 1; l <= layers; l++) {
                double[] x = new double[g.positions()];
                for (int p = 0; p < x.length; p++) x[p] = p;
                chart.addSeries((grids.size() > 1 ? name + " " : "") + "layer " + l, x, (kl ? g.kl() : g.cosine())[l - 1]);
            }
        });
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
