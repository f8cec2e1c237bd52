package sortedllama.train;

import java.time.Duration;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** A progress bar over a run's steps (with ETA) showing the step's loss, each trained exit's loss and the throughput. */
public final class TrainingProgress implements TrainingRun.Listener, AutoCloseable {
    private final ProgressBar bar;

    /** A bar named {@code task} over {@code totalSteps}, {@code doneSteps} of them already done (a resumed run). */
    public TrainingProgress(String task, int totalSteps, int doneSteps) {
        bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(totalSteps).setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(500).continuousUpdate().startsFrom(doneSteps, Duration.ZERO).build();
    }

    @Override
    public void stepped(Trainer.StepResult r, double tokensPerSecond) {
        StringBuilder msg = new StringBuilder(String.format(Locale.ROOT, "loss %.3f |", r.loss()));
        for (int e = 0; e < r.exits().length; e++) msg.append(String.format(Locale.ROOT, " L%d %.3f", r.exits()[e], r.perExitLoss()[e]));
        bar.setExtraMessage(msg.append(String.format(Locale.ROOT, " | %.0f tok/s", tokensPerSecond)).toString());
        bar.stepTo(r.step() + 1);
    }

    @Override
    public void close() {
        bar.close();
    }
}
