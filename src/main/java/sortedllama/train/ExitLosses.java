package sortedllama.train;

/**
 * Losses of one pass: {@code loss} is the weighted objective, {@code perExit[i]} the mean
 * cross-entropy (nats per counted target) at the objective's i-th exit.
 */
public record ExitLosses(double loss, double[] perExit) {}
