"""Evaluate trackers' results on a benchmark under its official rules (or another toolkit's).

    python -m benchmarks.evaluate --dataset lasot --trackers simtrack stark=path/to/raw_results

Every tracker's files are checked (all sequences present, one box per frame, same number of runs
everywhere) before anything is computed; tables and figures go to ``results/reports/<dataset>/``.
Only annotations and result files are read (no frame, no torch); result folders may be archives.
"""
from dataclasses import dataclass
from pathlib import Path

from simtrack.cli import options
from simtrack.cli import run_cli
from simtrack.errors import ConfigError, ResultsError

from .reports import writer as report
from .scoring import metrics
from .reports.drawer import ForkedDrawer
from .scoring.result_files import load_results

DEFAULT_RESULTS = Path("results")
MAX_LISTED_PROBLEMS = 20


@dataclass
class TrackerResult:
    """One tracker's per-run statistics, scores (fractions) and mean curves; the boxes of its first
    run (one array per sequence) and their per-frame values (``metrics.frame_values``, computed in
    the same pass as the scores) feed the report's per-frame views."""

    name: str
    runs: list
    scores: list
    curves: list
    boxes: list = None
    frames: dict = None


def compute(protocol, truth, tracker_runs):
    """TrackerResult for one tracker's loaded runs (``results_io.TrackerRuns``)."""
    runs, scores, curves, frames = [], [], [], {}
    for boxes, times in zip(tracker_runs.boxes, tracker_runs.times):
        try:
            stats = metrics.evaluate_run(protocol, truth, boxes, times, frames if not runs else None)
        except ResultsError as error:
            raise ResultsError(f"{tracker_runs.name} ({tracker_runs.folder}): {error}") from None
        run_scores, run_curves = metrics.summarize(protocol, stats)
        runs.append(stats)
        scores.append(run_scores)
        curves.append(run_curves)
    return TrackerResult(tracker_runs.name, runs, scores, curves, tracker_runs.boxes[0], frames)


def load_all(protocol, trackers, sequences):
    """Load every tracker's runs; one ResultsError listing every problem of every tracker."""
    loaded, problems = [], []
    for name, folder in trackers.items():
        runs, found = load_results(name, folder, sequences, protocol.allow_longer)
        problems += [f"{name}: {problem}" for problem in found]
        loaded.append(runs)
    if problems:
        shown = problems[:MAX_LISTED_PROBLEMS]
        more = len(problems) - len(shown)
        raise ResultsError("results are incomplete, nothing was evaluated:\n  - " + "\n  - ".join(shown)
                           + (f"\n  ... and {more} more problems" if more else ""))
    return loaded


def evaluate(dataset, trackers, sequences, protocol=None, report_dir=None, pdf=False):
    """Evaluate ``trackers`` ({name: results folder or archive}) on ``sequences``; write the report;
    return the summary as a pandas DataFrame.

    The summary has one row per tracker (scores in percent, FPS in frames/s, ``<m> std`` columns for
    repeated runs); ``summary.attrs`` names the protocol and its rules. ``pdf`` adds PDF figures.
    """
    return evaluate_table(dataset, trackers, sequences, protocol, report_dir, pdf).to_dataframe()


def evaluate_table(dataset, trackers, sequences, protocol=None, report_dir=None, pdf=False, drawer=None):
    """``evaluate`` returning the summary as a ``tables.Table`` (no pandas); ``drawer`` draws the figures."""
    if not trackers:
        raise ConfigError("no trackers to evaluate; give at least one NAME or NAME=RESULTS_DIR")
    rules = metrics.get_protocol(dataset, protocol)
    truth = metrics.GroundTruth.from_sequences(sequences, rules.needs_cover)
    results = [compute(rules, truth, runs) for runs in load_all(rules, trackers, sequences)]
    report_dir = Path(report_dir) if report_dir else DEFAULT_RESULTS / "reports" / dataset
    return report.write_report(rules, sequences, results, report_dir, pdf=pdf, drawer=drawer)


def parse_trackers(specs, results_root, dataset):
    """``NAME`` -> ``<results>/<NAME>/<dataset>``; ``NAME=DIR`` (or ``NAME=ARCHIVE``) -> that path."""
    trackers = {}
    for spec in specs:
        name, sep, folder = spec.partition("=")
        if not name or (sep and not folder):
            raise ConfigError(f"bad --trackers entry {spec!r}; expected NAME or NAME=RESULTS_DIR")
        if name in trackers:
            raise ConfigError(f"tracker name {name!r} is given twice in --trackers; names must be unique")
        trackers[name] = Path(folder) if sep else Path(results_root) / name / dataset
    return trackers


def build_parser():
    parser = options.parser("python -m benchmarks.evaluate", __doc__.split("\n\n")[0])
    options.add_dataset(parser, required=True)
    parser.add_argument("--trackers", nargs="+", required=True, metavar="NAME[=RESULTS]",
                        help="trackers to compare; NAME alone means <results>/NAME/<dataset>; RESULTS is a folder "
                             "or an archive (.zip, .tar.gz, .tar.xz) of result files")
    parser.add_argument("--protocol", choices=metrics.PROTOCOLS, default="official",
                        help="whose rules compute the numbers (default: the benchmark's official toolkit)")
    options.add_results(parser)
    parser.add_argument("--report-dir", metavar="DIR",
                        help="where tables and plots go (default: <results>/reports/<dataset>)")
    parser.add_argument("--pdf", action="store_true", help="also write every figure as PDF (default: PNG only)")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    from simtrack.data import dataset_key, load_dataset

    with ForkedDrawer() as drawer:   # matplotlib is imported in a child process while the files are read
        sequences = load_dataset(args.dataset, root=args.data_root, split=args.split, sequences=args.sequences,
                                 frames_required=False)
        key = dataset_key(args.dataset, args.split)  # also the runner's results folder name
        trackers = parse_trackers(args.trackers, args.results, key)
        report_dir = Path(args.report_dir) if args.report_dir else Path(args.results) / "reports" / key
        summary = evaluate_table(key, trackers, sequences, args.protocol, report_dir, args.pdf, drawer)
    print(f"{report.display_name(key)}: {len(sequences)} sequences, protocol '{summary.attrs['protocol']}' "
          f"= {summary.attrs['rules']}")
    print(report.to_markdown(summary))
    print(f"tables and plots written to {report_dir}/; open {Path(report_dir) / 'report.html'} in a browser")
    return 0


if __name__ == "__main__":
    run_cli(main)
