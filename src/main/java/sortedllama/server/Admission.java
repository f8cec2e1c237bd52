package sortedllama.server;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Lets at most {@code slots} generations run at once and at most {@code maxQueue} more wait, in
 * arrival order; past that a request is refused at once (429) rather than piling up threads and
 * memory, and a waiter whose deadline passes gives up (503). Every generation holds its own KV
 * cache, so the slot count also bounds memory.
 */
final class Admission {
    private final Semaphore slots;
    private final int capacity, maxQueue;
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();

    Admission(int slots, int maxQueue) {
        this.slots = new Semaphore(slots, true);
        this.capacity = slots;
        this.maxQueue = maxQueue;
    }

    /** A held slot; closing it frees the slot for the next waiter. */
    final class Permit implements AutoCloseable {
        private boolean closed;

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            running.decrementAndGet();
            slots.release();
        }
    }

    /** Takes a slot, waiting in line until {@code deadlineNanos} (System.nanoTime) if all are busy. */
    Permit enter(long deadlineNanos) {
        if (!tryAcquire(0)) {
            if (waiting.incrementAndGet() > maxQueue) {
                waiting.decrementAndGet();
                throw ApiException.overloaded("the server is busy: all " + capacity + " generation slots and "
                        + maxQueue + " queue places are taken; retry later");
            }
            try {
                if (!tryAcquire(deadlineNanos - System.nanoTime())) {
                    throw ApiException.unavailable("timed out waiting for a free generation slot");
                }
            } finally {
                waiting.decrementAndGet();
            }
        }
        running.incrementAndGet();
        return new Permit();
    }

    /** Honours arrival order (a plain tryAcquire() would jump the queue). */
    private boolean tryAcquire(long nanos) {
        try {
            return slots.tryAcquire(Math.max(0, nanos), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.unavailable("the server is shutting down");
        }
    }

    /** Generations running now. */
    int inFlight() {
        return running.get();
    }

    /** Requests waiting for a slot now. */
    int queued() {
        return waiting.get();
    }
}
