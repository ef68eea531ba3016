"""Annotated videos of trackers' results: ``python -m benchmarks.visualize --dataset NAME --trackers A B``.

One MP4 per sequence (``--gif`` adds a GIF) with the ground truth and every tracker's box in the
colours of the plots, a legend with each tracker's IoU on that frame (under the ``--protocol``
rules, as the scores count it; ``absent`` where the target is flagged absent), and the frame
number. ``--worst K`` picks the K sequences with the lowest main score (AUC, or AO for GOT-10k)
averaged over the trackers. Needs the dataset's frames.
"""
import sys
from pathlib import Path

import numpy as np

from simtrack.cli import options, run_cli
from simtrack.errors import ConfigError, DatasetError
from simtrack.formats.drawing import Mark, annotate, ground_truth_mark
from simtrack.formats.palette import tracker_color
from simtrack.formats.video import VideoOutput
from simtrack.names import child_path

from .reports.folder import check_no_links
from .runner.tracking import FramePrefetcher
from .scoring import metrics
from .scoring.evaluation import tracker_folders
from .scoring.result_files import RESULTS_ROOT
from .scoring.scores import load_all, named_refusals

DEFAULT_FPS = 30.0


def build_parser():
    parser = options.parser("python -m benchmarks.visualize", __doc__.split("\n\n")[0],
                            epilog="Videos go to <results>/videos/<dataset>/ (or --out).")
    options.add_dataset(parser, required=True)
    options.add_trackers(parser)
    options.add_results(parser, RESULTS_ROOT)
    parser.add_argument("--worst", type=options.positive_int("--worst"), metavar="K",
                        help="only the K sequences with the lowest score (among --sequences when given)")
    options.add_protocol(parser, metrics.PROTOCOLS)
    parser.add_argument("--out", metavar="DIR", help="folder for the videos (default: <results>/videos/<dataset>)")
    parser.add_argument("--gif", action="store_true", help="also write <sequence>.gif (at most 300 frames, 480 px wide)")
    parser.add_argument("--fps", type=float, metavar="F",
                        help="frame rate of the videos (default: the dataset's, else 30)")
    return parser


def worst_sequences(protocol, truth, loaded, count):
    """Indices of the ``count`` sequences with the lowest main score (of each tracker's first run)
    averaged over the trackers."""
    scores = []
    for runs in loaded:
        with named_refusals(runs):
            stats = metrics.evaluate_run(protocol, truth, runs.boxes[0])
        scores.append(metrics.per_sequence(protocol, stats)[protocol.main_metric])
    mean = np.nanmean(np.vstack(scores), axis=0)
    return list(np.argsort(np.where(np.isnan(mean), np.inf, mean), kind="stable")[:count])


def first_run_frames(protocol, truth, runs, chosen):
    """Per-frame values of the tracker's first run on the ``chosen`` sequences, as scoring counts them
    (from the boxes as read: the length rule's padding and cut ground truth are the rules' to
    score), and the boxes to draw (cut or padded as the length rule scores them)."""
    boxes = [runs.boxes[0][index] for index in chosen]
    with named_refusals(runs):
        values = metrics.frame_values(protocol, truth, boxes)
    return values, metrics.fitted_boxes(protocol, truth, boxes)


def frame_note(errors, index, absent):
    """The legend note of one tracker on one frame: ``IoU 0.72``, ``absent`` or ``IoU -``."""
    if absent is not None and absent[index]:
        return "absent"
    value = errors.iou[index]
    return f"IoU {value:.2f}" if np.isfinite(value) and value >= 0 else "IoU -"


def render(sequence, names, boxes, errors, out_dir, fps, gif, bar):
    """Write ``<out_dir>/<sequence>.mp4`` (and ``.gif``); returns the paths."""
    paths = [child_path(out_dir, sequence.name, suffix) for suffix in (".mp4", ".gif")[:1 + bool(gif)]]
    outputs = [VideoOutput(path, fps, len(sequence)) for path in paths]
    colors = [tracker_color(index) for index in range(len(names))]
    try:
        with FramePrefetcher(sequence.frames) as frames:
            for index, image in enumerate(frames):
                marks = [ground_truth_mark(sequence.boxes[index])]
                marks += [Mark(name, color, tracker_boxes[index], frame_note(values, index, sequence.absent))
                          for name, color, tracker_boxes, values in zip(names, colors, boxes, errors)]
                annotate(image, marks, f"{sequence.name}  frame {index + 1}/{len(sequence)}")
                for output in outputs:
                    output.write(image)
                bar.update(1)
    finally:
        for output in outputs:
            output.close()
    return paths


def video_folder(results, key):
    """``<results>/videos/<key>``, the default folder of the videos: the results folder may be a
    download, so a symbolic link on the way there (``videos -> elsewhere``) is refused, not followed."""
    folder = Path(results) / "videos" / key
    check_no_links(folder, results, "videos", "--out")
    return folder


def check_frames(sequences):
    """Videos need the frames: say which sequence lacks them before any work."""
    for seq in sequences:
        if not seq.frames or not Path(seq.frames[0]).is_file():
            first = seq.frames[0] if seq.frames else "(no frame listed)"
            raise DatasetError(f"sequence {seq.name}: frame {first} does not exist; annotated videos need the "
                               "dataset's frames (give --data-root the folder that holds them)")


def main(argv=None):
    args = build_parser().parse_args(argv)
    from tqdm import tqdm

    from simtrack.data import dataset_key, load_dataset

    sequences = load_dataset(args.dataset, root=args.data_root, split=args.split, sequences=args.sequences)
    key = dataset_key(args.dataset, args.split)
    trackers = tracker_folders(args.trackers, args.results, key)
    protocol = metrics.get_protocol(key, args.protocol)
    sequences, _ = metrics.protocol_sequences(protocol, sequences)
    loaded = load_all(protocol, trackers, sequences)
    chosen = range(len(sequences))
    if args.worst:
        truth = metrics.GroundTruth.from_sequences(sequences, protocol.needs_cover)
        chosen = [int(index) for index in worst_sequences(protocol, truth, loaded, args.worst)]
    picked = [sequences[index] for index in chosen]
    check_frames(picked)
    out_dir = Path(args.out) if args.out else video_folder(args.results, key)
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"--out {out_dir} is a file; give a folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    part = metrics.GroundTruth.from_sequences(picked, protocol.needs_cover)
    values, shown = zip(*(first_run_frames(protocol, part, runs, chosen) for runs in loaded))
    written = []
    with tqdm(total=sum(len(seq) for seq in picked), unit="frame", file=sys.stderr, dynamic_ncols=True,
              desc="rendering") as bar:
        for at, seq in enumerate(picked):
            bar.set_postfix_str(seq.name)
            fps = args.fps or seq.meta.get("fps") or DEFAULT_FPS
            written += render(seq, list(trackers), [boxes[at] for boxes in shown],
                              [tracker_values[seq.name] for tracker_values in values], out_dir, fps, args.gif, bar)
    print(f"{len(written)} videos of {len(picked)} sequences written to {out_dir}/")
    return 0


if __name__ == "__main__":
    run_cli(main)
