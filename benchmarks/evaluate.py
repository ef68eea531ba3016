"""Evaluate trackers' results on a benchmark under its official rules (or another toolkit's).

    python -m benchmarks.evaluate --dataset lasot --trackers simtrack stark=path/to/raw_results
    python -m benchmarks.evaluate --dataset otb100+nfs+uav123+tc128ce --protocol stark --trackers a b --compare

Every tracker's files are checked (all sequences present, one box per frame or what the protocol's
toolkit accepts instead, same number of runs everywhere) before anything is computed; tables,
figures and report.html go to ``results/reports/<dataset>/``. Every score comes with its bootstrap
interval over sequences; ``--compare`` adds paired comparisons. Several datasets joined by ``+`` are
one merged evaluation, each dataset under its own rules. Scores need only annotations and result
files (no torch, no frame); report.html adds thumbnails where the frames are on disk. Result
folders may be archives.
"""
from pathlib import Path

from simtrack.cli import options, run_cli
from simtrack.data import dataset_key, load_dataset
from simtrack.deprecation import forward
from simtrack.errors import ConfigError, DatasetError

from .reports.drawer import ForkedDrawer
from .reports.summary import console_lines
from .reports.writer import write_report
from .scoring.evaluation import score, tracker_folders
from .scoring.metrics import PROTOCOLS
from .scoring.result_files import RESULTS_ROOT, report_folder
from .scoring.statistics import settings_from


def build_parser():
    parser = options.parser("python -m benchmarks.evaluate", __doc__.split("\n\n")[0])
    options.add_dataset(parser, required=True)
    options.add_trackers(parser)
    options.add_protocol(parser, PROTOCOLS)
    options.add_results(parser, RESULTS_ROOT)
    parser.add_argument("--report-dir", metavar="DIR",
                        help="where tables and plots go (default: <results>/reports/<dataset>)")
    parser.add_argument("--pdf", action="store_true", help="also write every figure as PDF (default: PNG only)")
    options.add_statistics(parser)
    return parser


def read_sequences(dataset, root, split, names):
    """(dataset key, sequences): one dataset, or every dataset of a merged key (``otb100+nfs``), each
    looked for under ``root`` as its usual folder; ``names`` picks sequences across them."""
    if "+" not in dataset:
        return dataset_key(dataset, split), load_dataset(dataset, root=root, split=split, sequences=names,
                                                         frames_required=False)
    from .scoring.merged import member_keys, merged_key  # only merged evaluations need them

    members = member_keys(dataset)
    if split is not None:
        raise ConfigError("--split does not apply to a merged --dataset; name each dataset's split in its key "
                          "(e.g. lasot+got10k_val)")
    sequences = [seq for key in members for seq in load_dataset(key, root=root, frames_required=False)]
    if names is not None:
        known = {seq.name for seq in sequences}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise DatasetError(f"unknown sequence name(s) for {dataset}: {', '.join(unknown)}")
        sequences = [seq for seq in sequences if seq.name in set(names)]
    return merged_key(dataset), sequences


def main(argv=None):
    args = build_parser().parse_args(argv)
    settings = settings_from(args.bootstrap, args.confidence, args.seed, args.compare, args.bands == "interval")
    with ForkedDrawer() as drawer:   # matplotlib is imported in a child process while the files are read
        key, sequences = read_sequences(args.dataset, args.data_root, args.split, args.sequences)
        trackers = tracker_folders(args.trackers, args.results, key)   # key: also the runner's results folder
        report_dir = Path(args.report_dir) if args.report_dir else report_folder(args.results, key)
        evaluation = score(key, trackers, sequences, args.protocol, settings)
        summary = write_report(evaluation, report_dir, args.pdf, drawer,
                               results_root=None if args.report_dir else args.results)
    print("\n".join(console_lines(summary, evaluation.sequences, report_dir)))
    return 0


def __getattr__(name):
    return forward(__name__, name, {"evaluate": "benchmarks.reports", "evaluate_table": "benchmarks.reports"})


if __name__ == "__main__":
    run_cli(main)
