package sortedllama.train.data;

import java.util.ArrayList;
import java.util.List;

/**
 * Holds out a fraction of the examples for validation, chosen by a hash of each example's tokens.
 * The choice does not depend on the seed, the order or the file position, so runs with different
 * seeds validate on the same examples and their losses compare; identical examples fall on the same
 * side, so a duplicate cannot leak from training into validation. (A different tokenizer gives
 * different tokens and so a different split.)
 */
record ValidationSplit(List<Example> train, List<Example> validation) {

    static ValidationSplit of(List<Example> examples, double fraction) {
        List<Example> train = new ArrayList<>(), validation = new ArrayList<>();
        for (Example e : examples) (isHeldOut(e, fraction) ? validation : train).add(e);
        return new ValidationSplit(train, validation);
    }

    static boolean isHeldOut(Example e, double fraction) {
        long h = e.responseStart();
        for (int token : e.tokens()) h = Mix64.mix(h + token);
        return Mix64.unit(h) < fraction;
    }
}
