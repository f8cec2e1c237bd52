package sortedllama.eval;

/**
 * One system's answer to one instruction at one exit: a line of the file {@code eval generate}
 * writes and {@code eval judge} reads.
 */
public record Answer(String id, String instruction, String input, int exit, String output) {}
