package sortedllama.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import sortedllama.model.LlamaConfig;
import sortedllama.model.RopeLayout;

/** One case written by tools/train/make_grad_fixtures.py: a JSON manifest and a binary of arrays. */
final class TorchFixture {
    final String name;
    final JsonNode json;
    private final ByteBuffer data;

    private TorchFixture(String name) {
        this.name = name;
        try (InputStream j = resource(name + ".json"); InputStream b = resource(name + ".bin")) {
            json = new ObjectMapper().readTree(j);
            data = ByteBuffer.wrap(b.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static TorchFixture load(String name) {
        return new TorchFixture(name);
    }

    private static InputStream resource(String file) {
        InputStream in = TorchFixture.class.getResourceAsStream("/train/" + file);
        if (in == null) throw new IllegalStateException("missing test resource train/" + file + " (run tools/train/make_grad_fixtures.py)");
        return in;
    }

    private JsonNode entry(String array) {
        JsonNode e = json.get("arrays").get(array);
        if (e == null) throw new IllegalArgumentException(name + ": no array " + array);
        return e;
    }

    private int length(JsonNode e) {
        int n = 1;
        for (JsonNode d : e.get("shape")) n *= d.asInt();
        return n;
    }

    float[] f32(String array) {
        JsonNode e = entry(array);
        float[] out = new float[length(e)];
        data.slice(e.get("offset").asInt(), 4 * out.length).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    int[] i32(String array) {
        JsonNode e = entry(array);
        int[] out = new int[length(e)];
        data.slice(e.get("offset").asInt(), 4 * out.length).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out);
        return out;
    }

    LlamaConfig config() {
        JsonNode c = json.get("config");
        return new LlamaConfig(c.get("dim").asInt(), c.get("hidden_dim").asInt(), c.get("n_layers").asInt(),
                c.get("n_heads").asInt(), c.get("n_kv_heads").asInt(), c.get("head_dim").asInt(),
                c.get("vocab_size").asInt(), 64, (float) c.get("norm_eps").asDouble(),
                (float) c.get("rope_theta").asDouble(), null, RopeLayout.valueOf(c.get("rope_layout").asText()), 1, 2);
    }

    List<String> paramNames() {
        List<String> names = new ArrayList<>();
        for (JsonNode n : json.get("params")) names.add(n.asText());
        return names;
    }

    /** A fresh model holding the fixture's initial weights. */
    TrainableModel model() {
        Map<String, float[]> values = new HashMap<>();
        for (String p : paramNames()) values.put(p, f32("init/" + p));
        return TrainableModel.fromValues(config(), values);
    }

    ExitObjective objective() {
        int[] exits = ints(json.get("exits"));
        double[] weights = new double[exits.length];
        for (int i = 0; i < exits.length; i++) weights[i] = json.get("exit_weights").get(i).asDouble();
        return new ExitObjective(exits, weights);
    }

    /** Batch "batch1" or "batch2", or sequence {@code row} of it alone when row >= 0. */
    Batch batch(String which, int row) {
        int[] tokens = i32(which + "/tokens"), targets = i32(which + "/targets"), mask = i32(which + "/mask");
        int[] segments = i32(which + "/segments");
        int B = entry(which + "/tokens").get("shape").get(0).asInt(), T = tokens.length / B;
        int from = row < 0 ? 0 : row * T, to = row < 0 ? B * T : from + T;
        boolean[] m = new boolean[to - from];
        for (int i = from; i < to; i++) m[i - from] = mask[i] != 0;
        return new Batch(row < 0 ? B : 1, T, Arrays.copyOfRange(tokens, from, to), Arrays.copyOfRange(targets, from, to),
                m, Arrays.copyOfRange(segments, from, to));
    }

    double scalar(String path) {
        JsonNode n = json;
        for (String part : path.split("\\.")) n = part.matches("\\d+") ? n.get(Integer.parseInt(part)) : n.get(part);
        return n.asDouble();
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }
}
