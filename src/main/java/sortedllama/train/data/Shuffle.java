package sortedllama.train.data;

import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/** Fisher-Yates shuffles driven by a given random stream, so that a seed fixes the result. */
final class Shuffle {
    private Shuffle() {}

    /** 0..n-1 in random order. */
    static int[] permutation(int n, SplittableRandom random) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    static <T> void inPlace(List<T> list, SplittableRandom random) {
        for (int i = list.size() - 1; i > 0; i--) Collections.swap(list, i, random.nextInt(i + 1));
    }
}
