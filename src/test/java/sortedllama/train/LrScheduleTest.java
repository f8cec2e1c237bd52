package sortedllama.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LrScheduleTest {
    @Test
    void warmupThenCosineOrLinearDecayToTheMinimum() {
        LrSchedule cos = new LrSchedule(1.0, 0.1, 4, 14, LrSchedule.Decay.COSINE);
        assertEquals(0.25, cos.lr(0), 1e-15);
        assertEquals(1.0, cos.lr(3), 1e-15);
        assertEquals(1.0, cos.lr(4), 1e-15);           // decay starts at step `warmup`
        assertEquals(0.55, cos.lr(9), 1e-15);          // half-way: the mean of max and min
        assertEquals(0.1, cos.lr(14), 1e-15);
        assertEquals(0.1, cos.lr(1000), 1e-15);
        LrSchedule lin = new LrSchedule(1.0, 0.1, 0, 10, LrSchedule.Decay.LINEAR);
        assertEquals(1.0, lin.lr(0), 1e-15);
        assertEquals(0.55, lin.lr(5), 1e-15);
        assertEquals(0.1, lin.lr(10), 1e-15);
        assertEquals(0.3, LrSchedule.constant(0.3).lr(77), 0);
    }
}
