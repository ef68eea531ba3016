"""Console progress (loss, samples/s, ETA) and optional TensorBoard scalars for the main process.

On a terminal a tqdm bar per epoch; in a log file (nohup, cluster jobs) one plain line every
``log_every`` steps, so logs stay readable.
"""
import sys
import time
import warnings


def format_seconds(seconds):
    seconds = int(max(0, seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


def open_tensorboard(log_dir):
    """A SummaryWriter, or None with a warning when tensorboard is not installed."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        warnings.warn("tensorboard is not installed; training scalars go to the console only "
                      "(pip install tensorboard to get them)", stacklevel=2)
        return None
    return SummaryWriter(str(log_dir))


class Progress:
    """Tracks throughput over the run and reports it; a no-op on every process but the first."""

    def __init__(self, enabled, total_steps, done_steps, samples_per_step, log_every, writer=None,
                 stream=None):
        self.enabled = enabled
        self.total_steps, self.done_steps = total_steps, done_steps
        self.samples_per_step, self.log_every = samples_per_step, log_every
        self.writer = writer
        self.stream = stream or sys.stderr
        self.interactive = enabled and self.stream.isatty()
        self.bar = None
        self.started, self.steps_timed = None, 0
        self.last = {}

    def start_epoch(self, epoch, epochs, steps, first_step=0):
        if self.interactive:
            from tqdm import tqdm
            self.bar = tqdm(total=steps, initial=first_step, desc=f"epoch {epoch + 1}/{epochs}",
                            file=self.stream, dynamic_ncols=True)
        self.epoch, self.epochs = epoch, epochs

    def step(self, stats, lr):
        """Record one optimiser step's statistics (a dict of floats)."""
        self.done_steps += 1
        now = time.perf_counter()
        if self.started is None:  # time from the end of the first step: excludes start-up
            self.started = now
        else:
            self.steps_timed += 1
        self.last = dict(stats)
        rate = self.samples_per_second(now)
        if not self.enabled:
            return
        if self.writer is not None:
            for key, value in stats.items():
                self.writer.add_scalar(f"train/{key}", value, self.done_steps)
            self.writer.add_scalar("train/lr", lr, self.done_steps)
            if rate:
                self.writer.add_scalar("train/samples_per_s", rate, self.done_steps)
        eta = format_seconds((self.total_steps - self.done_steps) * self.samples_per_step / rate) if rate else "?"
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{stats['loss']:.4f}", iou=f"{stats['iou']:.3f}",
                                 samples_s=f"{rate:.1f}", eta_run=eta, refresh=False)
            self.bar.update(1)
        elif self.done_steps % self.log_every == 0 or self.done_steps == self.total_steps:
            print(f"epoch {self.epoch + 1}/{self.epochs} step {self.done_steps}/{self.total_steps} "
                  f"loss {stats['loss']:.4f} giou {stats['giou']:.4f} l1 {stats['l1']:.4f} iou {stats['iou']:.3f} "
                  f"lr {lr:.2e} samples/s {rate:.1f} eta {eta}", file=self.stream, flush=True)

    def samples_per_second(self, now=None):
        now = time.perf_counter() if now is None else now
        if not self.steps_timed:
            return 0.0
        return self.steps_timed * self.samples_per_step / (now - self.started)

    def end_epoch(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def message(self, text):
        if self.enabled:
            print(text, file=self.stream, flush=True)

    def close(self):
        self.end_epoch()
        if self.writer is not None:
            self.writer.close()
