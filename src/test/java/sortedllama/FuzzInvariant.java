package sortedllama;

import com.sun.management.ThreadMXBean;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What every fuzz test (the {@code *FuzzTest} classes, run by Jazzer) asserts of a reader given
 * arbitrary bytes: it returns, or throws {@link BadInputException} (or another exception the caller
 * names as the reader's way of refusing input), and it allocates no more heap than the input
 * justifies. Anything else (an index error, a NullPointerException, a StackOverflowError, an
 * allocation of gigabytes from a few bytes) is a finding.
 *
 * <p>How to run them: {@code mvn test} replays each target's committed inputs
 * ({@code src/test/resources/<package>/<Class>Inputs/<method>/}) as regression tests; {@code
 * tools/fuzz/run.sh [SECONDS]} fuzzes every target, coverage-guided, for that long each (CI: 12 s).
 * Jazzer writes a crashing input into the inputs directory: commit it, and it stays a regression test.
 */
public final class FuzzInvariant {
    /**
     * Heap a parse may take per input byte, plus a fixed allowance. Parsing is allowed to build objects
     * from what it reads (strings, maps, lists of boxed numbers: tens of bytes per input byte); what it
     * may not do is size anything by a number the file claims but does not back with bytes.
     */
    static final long HEAP_PER_INPUT_BYTE = 512, HEAP_ALLOWANCE = 64L << 20;

    private static final Path DIR;

    static {
        try {
            DIR = Files.createTempDirectory("sorted-llama-fuzz");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private FuzzInvariant() {}

    /** What reads the input. */
    public interface Reader {
        void read() throws Exception;
    }

    /** {@code data} as the file {@code name} in a scratch directory (replaced on every call). */
    public static Path file(String name, byte[] data) {
        try {
            Path p = DIR.resolve(name);
            Files.createDirectories(p.getParent());
            return Files.write(p, data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs {@code reader} on an input of {@code inputBytes} bytes and fails unless it returns or throws
     * {@link BadInputException} or one of {@code refusals}, within the heap allowance.
     */
    @SafeVarargs
    public static void check(long inputBytes, Reader reader, Class<? extends Exception>... refusals) {
        long allowed = HEAP_ALLOWANCE + HEAP_PER_INPUT_BYTE * inputBytes, allocated = run(reader, refusals);
        // loading (and, while fuzzing, instrumenting) classes allocates on this thread too: only a second
        // run, with every class loaded, measures what the reader itself allocates
        if (allocated > allowed) allocated = run(reader, refusals);
        if (allocated > allowed) {
            throw new AssertionError("allocated " + allocated + " bytes of heap for " + inputBytes + " bytes of input (at most " + allowed + ")");
        }
    }

    /** Runs the reader, checking how it ends; returns the bytes of heap this thread allocated meanwhile. */
    @SafeVarargs
    private static long run(Reader reader, Class<? extends Exception>... refusals) {
        var threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().threadId(), before = threads.getThreadAllocatedBytes(thread);
        try {
            reader.read();
        } catch (BadInputException e) {
            if (e.getMessage() == null || e.getMessage().isBlank()) throw new AssertionError("a refusal without a message", e);
        } catch (Exception e) {
            boolean refusal = false;
            for (Class<? extends Exception> c : refusals) refusal |= c.isInstance(e);
            if (!refusal) throw new AssertionError("not a BadInputException: " + e, e);
        }
        return threads.getThreadAllocatedBytes(thread) - before;
    }
}
