package sortedllama.infer;

import java.util.HashMap;
import java.util.Map;

/**
 * What speculative decoding has measured on one model, per draft exit ({@link SpeculationPlanner}):
 * a short answer alone is too short to learn from, so the owner of the model (a server, a
 * {@code generate} run, a benchmark) keeps one and hands it to each speculative generation, and
 * concurrent generations share it. Owned, not global: two servers or two tests never see each
 * other's timings.
 */
public final class SpeculationMemory {
    private final Map<Integer, SpeculationPlanner> byDraftExit = new HashMap<>();

    synchronized SpeculationPlanner plannerFor(int draftExit, int initialDraft) {
        return byDraftExit.computeIfAbsent(draftExit, k -> new SpeculationPlanner(initialDraft, SpeculativeGenerator.MAX_DRAFT));
    }
}
