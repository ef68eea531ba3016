"""Evaluate trackers' results on a benchmark under its official rules (or another toolkit's).

    python -m benchmarks.evaluate --dataset lasot --trackers simtrack stark=path/to/raw_results

Every tracker's files are checked (all sequences present, one box per frame, same number of runs
everywhere) before anything is computed; tables, figures and report.html go to
``results/reports/<dataset>/``. Scores need only annotations and result files (no torch, no
frame); report.html adds thumbnails where the frames are on disk. Result folders may be archives.
"""
from pathlib import Path

from simtrack.cli import options, run_cli
from simtrack.data import dataset_key, load_dataset
from simtrack.deprecation import forward

from .reports.drawer import ForkedDrawer
from .reports.summary import console_lines
from .reports.writer import write_report
from .scoring.evaluation import score, tracker_folders
from .scoring.metrics import PROTOCOLS
from .scoring.result_files import RESULTS_ROOT, report_folder


def build_parser():
    parser = options.parser("python -m benchmarks.evaluate", __doc__.split("\n\n")[0])
    options.add_dataset(parser, required=True)
    options.add_trackers(parser)
    options.add_protocol(parser, PROTOCOLS)
    options.add_results(parser, RESULTS_ROOT)
    parser.add_argument("--report-dir", metavar="DIR",
                        help="where tables and plots go (default: <results>/reports/<dataset>)")
    parser.add_argument("--pdf", action="store_true", help="also write every figure as PDF (default: PNG only)")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    with ForkedDrawer() as drawer:   # matplotlib is imported in a child process while the files are read
        sequences = load_dataset(args.dataset, root=args.data_root, split=args.split, sequences=args.sequences,
                                 frames_required=False)
        key = dataset_key(args.dataset, args.split)  # also the runner's results folder name
        trackers = tracker_folders(args.trackers, args.results, key)
        report_dir = Path(args.report_dir) if args.report_dir else report_folder(args.results, key)
        summary = write_report(score(key, trackers, sequences, args.protocol), report_dir, args.pdf, drawer,
                               results_root=None if args.report_dir else args.results)
    print("\n".join(console_lines(summary, sequences, report_dir)))
    return 0


def __getattr__(name):
    return forward(__name__, name, {"evaluate": "benchmarks.reports", "evaluate_table": "benchmarks.reports"})


if __name__ == "__main__":
    run_cli(main)
