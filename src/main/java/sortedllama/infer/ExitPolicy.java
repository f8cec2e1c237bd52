package sortedllama.infer;

import java.util.TreeMap;
import sortedllama.BadInputException;

/**
 * Confidence thresholds per exit for instance-aware dynamic inference: a token leaves at the
 * first exit whose top probability reaches that exit's threshold; the last layer always accepts.
 * Parsed from "0.9" (one threshold at every given exit) or "12:0.95,16:0.9,..." as the paper used.
 */
public record ExitPolicy(TreeMap<Integer, Float> thresholds) {

    /**
     * @param spec    "C" or "K:C,K:C,..."
     * @param exits   the exits a plain "C" applies to (e.g. the model's sorted exit set), each in 1..layers-1
     * @param layers  the model's depth L
     */
    public static ExitPolicy parse(String spec, int[] exits, int layers) {
        TreeMap<Integer, Float> map = new TreeMap<>();
        String s = spec.strip();
        if (!s.contains(":")) {
            float c = parseConfidence(s, spec);
            for (int e : exits) if (e < layers) map.put(e, c);
        } else {
            for (String part : s.split(",")) {
                String[] kv = part.strip().split(":");
                if (kv.length != 2) throw new BadInputException("--confidence: expected LAYER:THRESHOLD, got \"" + part + "\"");
                int layer;
                try {
                    layer = Integer.parseInt(kv[0].strip());
                } catch (NumberFormatException e) {
                    throw new BadInputException("--confidence: \"" + kv[0] + "\" is not a layer number");
                }
                if (layer < 1 || layer > layers) {
                    throw new BadInputException("--confidence: exit layer " + layer + " is out of range 1.." + layers);
                }
                if (layer < layers) map.put(layer, parseConfidence(kv[1], spec));
            }
        }
        if (map.isEmpty()) throw new BadInputException("--confidence \"" + spec + "\" names no exit below the last layer");
        return new ExitPolicy(map);
    }

    private static float parseConfidence(String text, String spec) {
        try {
            float c = Float.parseFloat(text.strip());
            if (c >= 0 && c <= 1) return c;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new BadInputException("--confidence: threshold \"" + text.strip() + "\" in \"" + spec + "\" is not a probability in [0, 1]");
    }
}
