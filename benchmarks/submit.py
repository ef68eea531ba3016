"""Server zips for GOT-10k test and TrackingNet test, built from our results and validated.

    python -m benchmarks.submit --dataset got10k_test --tracker-name simtrack

The default output is ``<results>/<tracker>/<dataset>.zip``; ``--check ZIP`` validates any zip
against the split. The formats and checks are ``benchmarks.scoring.submission``'s.
"""
from simtrack.cli import options, run_cli
from simtrack.data import catalog, load_dataset
from simtrack.deprecation import forward
from simtrack.errors import ConfigError

from .scoring import submission
from .scoring.result_files import RESULTS_ROOT, results_folder


def build_parser():
    parser = options.parser("python -m benchmarks.submit", __doc__.split("\n\n")[0])
    keys = catalog.server_keys()
    parser.add_argument("--dataset", required=True, choices=keys,
                        help="dataset name; the test split to pack: "
                             + " or ".join(f"{key} ({catalog.server(key).split(' (')[0]})" for key in keys))
    parser.add_argument("--data-root", metavar="DIR", help=options.HELP["data_root"])
    options.add_tracker_name(parser, default_help="required unless --check is given")
    options.add_results(parser, RESULTS_ROOT)
    parser.add_argument("--out", metavar="ZIP", help="zip to write (default: <results>/<NAME>/<dataset>.zip)")
    parser.add_argument("--check", metavar="ZIP", help="only validate an existing zip against the split")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    if not args.check and not args.tracker_name:
        raise ConfigError("give --tracker-name NAME to build a zip, or --check ZIP to validate one")
    sequences = load_dataset(args.dataset, root=args.data_root, frames_required=False)
    unknown = submission.unchecked_lengths(sequences)
    note = (f"; the frame counts of {unknown} sequence(s) come from the result files (their frames are not on "
            "disk to count)" if unknown else "")
    if args.check:
        submission.validate_submission(args.check, sequences)
        print(f"{args.check}: valid {submission.server(args.dataset)} submission ({len(sequences)} sequences{note})")
        return 0
    results_dir = results_folder(args.results, args.tracker_name, args.dataset)
    path = submission.make_submission(args.dataset, args.tracker_name, results_dir, sequences, args.out)
    print(f"wrote {path}: {len(sequences)} sequences, validated{note}; upload it to the "
          f"{submission.server(args.dataset)}")
    return 0


def __getattr__(name):
    return forward(__name__, name, {"make_submission": "benchmarks.scoring.submission",
                                    "validate_submission": "benchmarks.scoring.submission"})


if __name__ == "__main__":
    run_cli(main)
