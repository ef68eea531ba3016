"""What ends a run: the evaluation (datasets with ground truth) or the server zip (test splits), and
for ``--shard`` parts the decision of which part does it (the last to finish, once every part's
sequences are there)."""
import sys

from simtrack.data import catalog
from simtrack.errors import SimTrackError

from ..reports.drawer import ForkedDrawer
from ..reports.summary import console_lines
from ..reports.writer import write_report
from ..scoring.evaluation import score
from ..scoring.submission import make_submission
from . import provenance
from .execute import RunOutcome
from .locks import describe_owner
from .settings import RunSettings


def finish(outcome: RunOutcome, settings: RunSettings) -> int:
    """Evaluate (ground truth available) or pack the server submission; returns the exit code."""
    dataset, sequences = outcome.dataset, outcome.sequences
    try:
        if all(sequence.fully_annotated for sequence in sequences):
            report_dir = settings.report_dir(dataset)
            with ForkedDrawer() as drawer:
                evaluation = score(dataset, {outcome.tracker_name: outcome.folder}, sequences)
                summary = write_report(evaluation, report_dir, drawer=drawer, results_root=settings.results)
            print("\n".join(console_lines(summary, sequences, report_dir)))
        elif catalog.server(dataset) is not None:
            path = make_submission(dataset, outcome.tracker_name, outcome.folder, sequences)
            print(f"submission written: {path}")
        else:
            print(f"{dataset} has no ground truth beyond the first frame: nothing to evaluate")
    except SimTrackError as error:
        print(f"error: evaluation failed: {error}", file=sys.stderr)
        return 1
    return 0


def is_last_part(outcome: RunOutcome, settings: RunSettings) -> bool:
    """True for the part of a sharded run that finds every sequence run done and nobody else
    running; the others say why they leave the evaluation to someone else."""
    part = "shard {}/{}".format(*settings.shard)
    if outcome.running:
        others = ", ".join(f"{k}/{n} ({describe_owner(owner)})" for (k, n), owner in outcome.running)
        print(f"{part} done; the evaluation is left to the last shard to finish (still running: {others})")
        return False
    done = provenance.inspect(settings.results, outcome.tracker_name, outcome.dataset, outcome.sequences,
                              settings.repeat, outcome.identity).done   # what the folder holds now, every part written
    missing = len(outcome.sequences) * settings.repeat - sum(repeat <= settings.repeat for _, repeat in done)
    if missing:
        print(f"{part} done, but {missing} sequence run(s) of other shards are missing from {outcome.folder}: "
              f"rerun the shards that failed or never ran, or rerun the same command without --shard "
              f"to track what is missing and evaluate")
        return False
    return True
