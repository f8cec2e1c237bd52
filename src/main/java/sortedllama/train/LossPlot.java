package sortedllama.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** loss.png: per-exit training and validation loss against the step, read back from a {@link MetricsLog}. */
public final class LossPlot {
    private static final ObjectMapper JSON = new ObjectMapper();

    private LossPlot() {}

    public static void write(Path metricsFile, Path png) throws IOException {
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        for (String line : Files.readAllLines(metricsFile)) {
            if (line.isBlank()) continue;
            JsonNode row = JSON.readTree(line);
            int step = row.get("step").asInt();
            for (String key : new String[] {"exit_loss", "validation_exit_loss"}) {
                JsonNode per = row.get(key);
                if (per == null) continue;
                String prefix = key.startsWith("validation") ? "validation exit " : "train exit ";
                per.properties().forEach(f -> series.computeIfAbsent(prefix + f.getKey(), k -> new ArrayList<>())
                        .add(new double[] {step, f.getValue().asDouble()}));
            }
        }
        XYChart chart = new XYChartBuilder().width(900).height(550).title("Loss per exit")
                .xAxisTitle("step").yAxisTitle("cross-entropy (nats)").build();
        series.forEach((name, points) -> {
            double[] x = new double[points.size()], y = new double[points.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = points.get(i)[0];
                y[i] = points.get(i)[1];
            }
            var s = chart.addSeries(name, x, y);
            if (name.startsWith("train")) s.setMarker(SeriesMarkers.NONE);
        });
        if (!series.isEmpty()) BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
