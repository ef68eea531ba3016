"""Miniature datasets in the real on-disk layouts, for tests of readers, runners and metrics.

Every ``make_*`` function writes a few tiny sequences under ``root`` and returns
``{sequence name: Fabricated}`` with the ground truth it wrote, as the reader should return it.
Frames are flat grey JPEGs of ``FRAME_SIZE`` whose pixel value is the frame's position in its
sequence folder (mod 256), so a test can check that frames are read in order; a flat JPEG decodes
back to exactly that value.

    from fabricate import make_lasot          # tests/ is on sys.path under pytest
    expected = make_lasot(tmp_path / "LaSOT", test_list=True)
    sequences = load_dataset("lasot", root=tmp_path / "LaSOT")
"""
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from simtrack.formats.frame_files import IMAGE_EXTENSIONS

FRAME_SIZE = (8, 6)   # width, height
_ENCODED = {}


@dataclass
class Fabricated:
    """What a reader should report for one fabricated sequence."""

    boxes: np.ndarray                 # (K, 4) float64, as written (K = 1 for test splits)
    num_frames: int
    absent: np.ndarray = None         # (num_frames,) bool, or None where the layout has no flags
    first_frame: str = ""             # file name of the first frame, e.g. "00000001.jpg"
    extra: dict = field(default_factory=dict)


def write_frames(folder, names):
    """Write one flat grey JPEG per name in ``folder``; pixel value = position in ``names`` mod 256."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for index, name in enumerate(names):
        value = index % 256
        if value not in _ENCODED:
            image = np.full((FRAME_SIZE[1], FRAME_SIZE[0], 3), value, dtype=np.uint8)
            _ENCODED[value] = cv2.imencode(".jpg", image)[1].tobytes()
        (folder / name).write_bytes(_ENCODED[value])


def write_rows(path, rows, sep=",", line_end="\n", fmt="{:g}", prefix=""):
    """Write a numeric table, one row per line (``sep`` between values, ``prefix`` before each line)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [prefix + sep.join(fmt.format(value) for value in row) for row in np.atleast_2d(rows)]
    path.write_text(line_end.join(lines) + line_end)


def random_boxes(count, seed=0):
    """Integer-valued boxes inside a FRAME_SIZE frame (x, y >= 0, w, h >= 1)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, FRAME_SIZE[0] - 2, count)
    y = rng.integers(0, FRAME_SIZE[1] - 2, count)
    w = rng.integers(1, FRAME_SIZE[0] - x)
    h = rng.integers(1, FRAME_SIZE[1] - y)
    return np.stack([x, y, w, h], axis=1).astype(np.float64)


def make_lasot(root, names=("airplane-1", "airplane-13", "rubicCube-1", "airplane-2"), num_frames=6,
               test_list=False, attributes=True):
    """LaSOT layout. The first sequence is fully occluded on frames 2-3 (zero GT on frame 2, a real
    box on frame 3) and out of view on frame 5; flags files are single comma lines.
    ``test_list=True`` also writes ``testing_set.txt`` with all ``names`` (the demo-set convention),
    so that ``load_dataset("lasot", root)`` returns exactly these sequences.
    ``attributes=True`` writes ``att/<name>.txt`` with flag k = (k + index) % 2."""
    root = Path(root)
    expected = {}
    for index, name in enumerate(names):
        folder = root / name.rsplit("-", 1)[0] / name
        write_frames(folder / "img", [f"{i:08d}.jpg" for i in range(1, num_frames + 1)])
        boxes = random_boxes(num_frames, seed=index)
        occlusion = np.zeros(num_frames, dtype=int)
        out_of_view = np.zeros(num_frames, dtype=int)
        if index == 0 and num_frames >= 5:
            occlusion[1:3] = 1
            out_of_view[4] = 1
            boxes[1] = 0
        write_rows(folder / "groundtruth.txt", boxes, fmt="{:.0f}")
        (folder / "full_occlusion.txt").write_text(",".join(map(str, occlusion)))
        (folder / "out_of_view.txt").write_text(",".join(map(str, out_of_view)))
        (folder / "nlp.txt").write_text(f"the {name} target\n")
        flags = [(k + index) % 2 for k in range(14)]
        if attributes:
            write_rows(root / "att" / f"{name}.txt", [flags], fmt="{:d}")
        expected[name] = Fabricated(boxes, num_frames, (occlusion | out_of_view).astype(bool), "00000001.jpg",
                                    {"language": f"the {name} target", "attribute_flags": flags})
    if test_list:
        (root / "testing_set.txt").write_text("\n".join(names))
    return expected


def make_got10k(root, split="val", names=None, num_frames=6):
    """GOT-10k layout for one split folder (val, test or train) with ``list.txt``.

    train/val sequences carry absence (frames 3-4 of the first sequence), cover (0 where absent,
    else 1..8), cut_by_image labels and ``meta_info.ini`` (resolution 8x6, 10Hz, class "cat");
    test sequences only get their first box."""
    root = Path(root)
    folder_name = {"val": "val", "test": "test"}.get(split, "train")
    prefix = {"val": "GOT-10k_Val", "test": "GOT-10k_Test"}.get(split, "GOT-10k_Train")
    names = list(names or [f"{prefix}_{k:06d}" for k in (1, 2)])
    expected = {}
    for index, name in enumerate(names):
        folder = root / folder_name / name
        write_frames(folder, [f"{i:08d}.jpg" for i in range(1, num_frames + 1)])
        boxes = random_boxes(num_frames, seed=10 + index)
        if split == "test":
            write_rows(folder / "groundtruth.txt", boxes[:1], fmt="{:.4f}")
            expected[name] = Fabricated(boxes[:1], num_frames, None, "00000001.jpg")
            continue
        write_rows(folder / "groundtruth.txt", boxes, fmt="{:.4f}")
        absence = np.zeros(num_frames, dtype=int)
        if index == 0:
            absence[2:4] = 1
        cover = np.where(absence, 0, 1 + np.arange(num_frames) % 8)
        cut = (np.arange(num_frames) % 3 == 0).astype(int)
        for label, values in (("absence", absence), ("cover", cover), ("cut_by_image", cut)):
            (folder / f"{label}.label").write_text("\n".join(map(str, values)) + "\n")
        (folder / "meta_info.ini").write_text(
            "[METAINFO]\nurl: https://example.org/video\nbegin: 00:00:01\nend: 00:00:02\nanno_fps: 10Hz\n"
            f"object_class: cat\nmotion_class: walking\nmajor_class: animal\nroot_class: object\n"
            f"motion_adverb: slowly\nresolution: ({FRAME_SIZE[0]}, {FRAME_SIZE[1]})\n")
        expected[name] = Fabricated(boxes, num_frames, absence.astype(bool), "00000001.jpg",
                                    {"cover": cover, "cut_by_image": cut.astype(bool)})
    (root / folder_name / "list.txt").write_text("\n".join(names) + "\n")
    return expected


def make_trackingnet(root, chunk="TEST", names=("-3TIfnTSM6c_2", "_0aXy_ab_1"), num_frames=11):
    """TrackingNet chunk with frames ``0.jpg .. <num_frames-1>.jpg`` and annotations written like the
    devkit's (leading space, two decimals, CRLF). TEST annotations hold only the first row."""
    root = Path(root)
    expected = {}
    for index, name in enumerate(names):
        write_frames(root / chunk / "frames" / name, [f"{i}.jpg" for i in range(num_frames)])
        boxes = random_boxes(num_frames, seed=20 + index) + 0.25
        rows = boxes[:1] if chunk == "TEST" else boxes
        write_rows(root / chunk / "anno" / f"{name}.txt", rows, fmt="{:.2f}", line_end="\r\n", prefix=" ")
        expected[name] = Fabricated(rows, num_frames, None, "0.jpg")
    return expected


def make_uav123(root):
    """UAV123 with the shared folder ``truck4`` (truck4_1 = frames 1-577, truck4_2 = 577-1261, written
    in full) and ``uav2`` (5 frames, out of view on frames 2-3: NaN rows)."""
    root = Path(root)
    write_frames(root / "data_seq" / "UAV123" / "truck4", [f"{i:06d}.jpg" for i in range(1, 1262)])
    expected = {}
    for name, first, last in (("truck4_1", 1, 577), ("truck4_2", 577, 1261)):
        boxes = random_boxes(last - first + 1, seed=first)
        write_rows(root / "anno" / "UAV123" / f"{name}.txt", boxes)
        expected[name] = Fabricated(boxes, len(boxes), np.zeros(len(boxes), bool), f"{first:06d}.jpg")
    write_frames(root / "data_seq" / "UAV123" / "uav2", [f"{i:06d}.jpg" for i in range(1, 6)])
    boxes = random_boxes(5, seed=3)
    boxes[1:3] = np.nan
    write_rows(root / "anno" / "UAV123" / "uav2.txt", boxes)
    expected["uav2"] = Fabricated(boxes, 5, np.isnan(boxes).any(axis=1), "000001.jpg")
    return expected


def make_otb(root):
    """OTB100 quirks: comma (Basketball), tab (Car4) and space (Human4) separators; Jogging with two
    targets; Human4 with an empty ``groundtruth_rect.1.txt``; Tiger1 (354 frames, starts at frame 6);
    David (frames 300-770); Board (698 frames with 5-digit names)."""
    root = Path(root)
    expected = {}

    def sequence(folder, name, first, last, digits=4, sep=",", gt="groundtruth_rect.txt", omit=0, seed=0):
        write_frames(root / folder / "img", [f"{i:0{digits}d}.jpg" for i in range(first, last + 1)])
        boxes = random_boxes(last - first + 1, seed=seed)
        write_rows(root / folder / gt, boxes, sep=sep)
        expected[name] = Fabricated(boxes[omit:], last - first + 1 - omit, None, f"{first + omit:0{digits}d}.jpg")

    sequence("Basketball", "Basketball", 1, 7, seed=1)
    sequence("Car4", "Car4", 1, 5, sep="\t", seed=2)
    sequence("Jogging", "Jogging-1", 1, 6, gt="groundtruth_rect.1.txt", seed=3)
    write_rows(root / "Jogging" / "groundtruth_rect.2.txt", random_boxes(6, seed=4))
    expected["Jogging-2"] = Fabricated(random_boxes(6, seed=4), 6, None, "0001.jpg")
    sequence("Human4", "Human4", 1, 4, sep=" ", gt="groundtruth_rect.2.txt", seed=5)
    (root / "Human4" / "groundtruth_rect.1.txt").write_text("")
    sequence("Tiger1", "Tiger1", 1, 354, omit=5, seed=6)
    sequence("David", "David", 300, 770, seed=7)
    sequence("Board", "Board", 1, 698, digits=5, seed=8)
    return expected


def make_nfs(root):
    """NfS 30 fps layout: ``Bee`` labelled at 240 fps (8 rows per frame), ``Car`` with one row too many
    (trimmed, as got10k does) and ``Dog`` with one row per frame."""
    root = Path(root)
    expected = {}
    for name, frames, rows in (("Bee", 5, 40), ("Car", 4, 5), ("Dog", 3, 3)):
        write_frames(root / name / "30" / name, [f"{i:05d}.jpg" for i in range(1, frames + 1)])
        boxes = random_boxes(rows, seed=rows)
        lines = [f"{k + 1} {x:g} {y:g} {x + w:g} {y + h:g} {k} 0 0 0 \"animal\""
                 for k, (x, y, w, h) in enumerate(boxes)]
        (root / name / "30" / f"{name}.txt").write_text("\n".join(lines) + "\n")
        kept = boxes[::8] if rows == 8 * frames else boxes[:frames]
        expected[name] = Fabricated(kept, frames, None, "00001.jpg")
    return expected


def make_tnl2k(root, names=("advSamp_Baseball_game_002-Done", "test_015_Sord_video_Q01_done")):
    """TNL2K test layout: ``imgs/`` with png frames, ``groundtruth.txt`` and ``language.txt``."""
    root = Path(root)
    expected = {}
    for index, name in enumerate(names):
        write_frames(root / name / "imgs", [f"{i:05d}.png" for i in range(1, 5)])
        boxes = random_boxes(4, seed=30 + index)
        write_rows(root / name / "groundtruth.txt", boxes)
        (root / name / "language.txt").write_text(f"track the object number {index}\n")
        expected[name] = Fabricated(boxes, 4, None, "00001.png", {"language": f"track the object number {index}"})
    return expected


def make_coco(root, split="train2017"):
    """COCO with two images and three instances, one of them a crowd (skipped by the reader)."""
    root = Path(root)
    write_frames(root / split, ["000000000009.jpg", "000000000025.jpg"])
    data = {
        "images": [{"id": 9, "file_name": "000000000009.jpg", "width": 8, "height": 6},
                   {"id": 25, "file_name": "000000000025.jpg", "width": 8, "height": 6}],
        "categories": [{"id": 1, "name": "person"}, {"id": 18, "name": "dog"}],
        "annotations": [{"id": 100, "image_id": 9, "category_id": 1, "bbox": [1.5, 1.0, 3.0, 2.5], "iscrowd": 0},
                        {"id": 101, "image_id": 9, "category_id": 18, "bbox": [0, 0, 8, 6], "iscrowd": 1},
                        {"id": 102, "image_id": 25, "category_id": 18, "bbox": [2, 2, 4, 3], "iscrowd": 0}],
    }
    (root / "annotations").mkdir(parents=True, exist_ok=True)
    (root / "annotations" / f"instances_{split}.json").write_text(json.dumps(data))
    return {
        "9_100": Fabricated(np.array([[1.5, 1.0, 3.0, 2.5]]), 1, None, "000000000009.jpg",
                            {"object_class": "person", "image_size": (8, 6)}),
        "25_102": Fabricated(np.array([[2.0, 2.0, 4.0, 3.0]]), 1, None, "000000000025.jpg",
                             {"object_class": "dog", "image_size": (8, 6)}),
    }


def make_folder(root):
    """Generic layout: ``clip`` with unpadded names 1.jpg .. 12.jpg (natural order) and tab-separated
    boxes, ``stills`` with frames under ``img/`` and only the initial box."""
    root = Path(root)
    write_frames(root / "clip", [f"{i}.jpg" for i in range(1, 13)])
    boxes = random_boxes(12, seed=40)
    write_rows(root / "clip" / "groundtruth.txt", boxes, sep="\t")
    write_frames(root / "stills" / "img", [f"frame_{i:03d}.png" for i in range(3)])
    first = random_boxes(1, seed=41)
    write_rows(root / "stills" / "groundtruth.txt", first)
    return {"clip": Fabricated(boxes, 12, None, "1.jpg"), "stills": Fabricated(first, 3, None, "frame_000.png")}


def make_tc128(root):
    """TC128 layout: ``Basketball`` (frames 1-6, shares its name with OTB), ``David`` (frames 300-305 of
    its folder), ``Busstation_ce2`` (frames 6-9, range file named in lower case) and ``Yo-yos_ce1``
    (hyphen, frames 1-5); the ``_ce`` two are TC128-CE."""
    root = Path(root)
    expected = {}
    for index, (name, first, last, range_name) in enumerate((
            ("Basketball", 1, 6, "Basketball_frames.txt"), ("David", 300, 305, "David_frames.txt"),
            ("Busstation_ce2", 6, 9, "busstation_ce2_frames.txt"), ("Yo-yos_ce1", 1, 5, "Yo-yos_ce1_frames.txt"))):
        write_frames(root / name / "img", [f"{i:04d}.jpg" for i in range(1, last + 3)])
        boxes = random_boxes(last - first + 1, seed=50 + index)
        write_rows(root / name / f"{name}_gt.txt", boxes)
        (root / name / range_name).write_text(f"{first},{last}\n")
        expected[name] = Fabricated(boxes, last - first + 1, None, f"{first:04d}.jpg")
    return expected


def make_dtb70(root, names=("Animal1", "Car6"), num_frames=7):
    """DTB70 layout: ``<Seq>/img/00001.jpg`` and a comma ``groundtruth_rect.txt`` with fractional values;
    ``Car6`` has zero rows (target gone) on frames 3-4, as the real one has."""
    root = Path(root)
    expected = {}
    for index, name in enumerate(names):
        write_frames(root / name / "img", [f"{i:05d}.jpg" for i in range(1, num_frames + 1)])
        boxes = random_boxes(num_frames, seed=60 + index) + 0.25
        if name == "Car6":
            boxes[2:4] = 0
        write_rows(root / name / "groundtruth_rect.txt", boxes)
        expected[name] = Fabricated(boxes, num_frames, None, "00001.jpg",
                                    {"attribute_flags": [(k + index) % 2 for k in range(11)]})
    return expected


def make_vasttrack(root, names=("Adhesive Tape-38", "Aardwolf-1"), num_frames=6, frame_folder="img"):
    """VastTrack layout: ``<class>/<class>-<k>/Groundtruth.txt``, ``img/00000001.jpg`` (``frame_folder``:
    the README's ``imgs``), ``nlp.txt``; names with a space; the target absent (all-zero rows) on
    frames 2-3 of the first sequence; ``testing_set.txt`` lists ``names``."""
    root = Path(root)
    expected = {}
    for index, name in enumerate(names):
        folder = root / name.rsplit("-", 1)[0] / name
        write_frames(folder / frame_folder, [f"{i:08d}.jpg" for i in range(1, num_frames + 1)])
        boxes = random_boxes(num_frames, seed=70 + index)
        if index == 0:
            boxes[1:3] = 0
        write_rows(folder / "Groundtruth.txt", boxes, fmt="{:.0f}")
        (folder / "nlp.txt").write_text(f"the {name} target\n")
        flags = [(k + index) % 2 for k in range(10)]
        write_rows(root / "att" / f"{name}.txt", [flags], fmt="{:d}")
        expected[name] = Fabricated(boxes, num_frames, (boxes == 0).all(1), "00000001.jpg",
                                    {"language": f"the {name} target", "attribute_flags": flags})
    (root / "testing_set.txt").write_text("\n".join(names) + "\n")
    return expected


def make_avist(root, names=("caemoflaging_octopus", "air_show_1"), num_frames=6):
    """AVisT layout: whitespace ``anno/<seq>.txt``, ``full_occlusion`` / ``out_of_view`` flag files (one
    comma line), frames ``sequences/<seq>/img_00001.jpg``; the first sequence is fully occluded on
    frame 2 and out of view on frames 4-5."""
    root = Path(root)
    expected = {}
    for index, name in enumerate(names):
        write_frames(root / "sequences" / name, [f"img_{i:05d}.jpg" for i in range(1, num_frames + 1)])
        boxes = random_boxes(num_frames, seed=80 + index)
        occlusion, out_of_view = np.zeros(num_frames, int), np.zeros(num_frames, int)
        if index == 0:
            occlusion[1], out_of_view[3:5] = 1, 1
        write_rows(root / "anno" / f"{name}.txt", boxes, sep=" ")
        for folder, flags in (("full_occlusion", occlusion), ("out_of_view", out_of_view)):
            (root / folder).mkdir(parents=True, exist_ok=True)
            (root / folder / f"{name}_{folder}.txt").write_text(",".join(map(str, flags)) + "\n")
        expected[name] = Fabricated(boxes, num_frames, (occlusion | out_of_view).astype(bool), "img_00001.jpg")
    return expected


# ---------------------------------------------------------------- annotation-only bundles


def remove_frames(root):
    """Delete every image under ``root`` (and the folders left empty): the annotation-only version."""
    root = Path(root)
    for path in sorted(root.rglob("*"), reverse=True):
        if path.is_file() and path.suffix.lower() in IMAGE_EXTENSIONS:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def make_lasot_toolkit(root, expected):
    """The LaSOT toolkit's ``annos/`` for the sequences ``make_lasot`` wrote (one flag per line, as the
    toolkit has them), with their names in ``sequence_evaluation_config/testing_set.txt``."""
    root = Path(root)
    for name, truth in expected.items():
        write_rows(root / "annos" / f"{name}.txt", truth.boxes, fmt="{:.0f}")
        (root / "annos" / "absent").mkdir(parents=True, exist_ok=True)
        (root / "annos" / "absent" / f"{name}.txt").write_text("\n".join(map(str, truth.absent.astype(int))) + "\n")
        write_rows(root / "annos" / "att" / f"{name}.txt", [truth.extra["attribute_flags"]], fmt="{:d}")
    (root / "sequence_evaluation_config").mkdir(parents=True, exist_ok=True)
    (root / "sequence_evaluation_config" / "testing_set.txt").write_text("\n".join(expected) + "\n")
    return root


def make_dtb70_toolkit(root, expected):
    """The DTB70 toolkit's ``experiments/anno/<Seq>.txt`` and ``anno/att/<Seq>.txt`` for ``make_dtb70``'s sequences."""
    anno = Path(root) / "experiments" / "anno"
    for name, truth in expected.items():
        write_rows(anno / f"{name}.txt", truth.boxes)
        write_rows(anno / "att" / f"{name}.txt", [truth.extra["attribute_flags"]], fmt="{:d}")
    return Path(root)


def make_vasttrack_toolkit(root, expected):
    """VastTrack's MATLAB toolkit layout (``annos/``, ``annos/absent``, ``annos/att``, a CRLF
    ``sequence_evaluation_config/testing_set.txt``) for ``make_vasttrack``'s sequences."""
    root = make_lasot_toolkit(root, expected)
    (root / "sequence_evaluation_config" / "testing_set.txt").write_bytes("\r\n".join(expected).encode() + b"\r\n")
    return root


def write_pysot_json(path, sequences, renamed=None, with_absent=False):
    """pysot-toolkit's JSON for ``Sequence`` records read from a folder layout: img_names relative to
    the file's folder, ``attr`` as names, and (LaSOT) ``absent`` as pysot has it: 1 = visible."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {}
    for seq in sequences:
        record = {"video_dir": seq.name, "init_rect": seq.boxes[0].tolist(),
                  "img_names": [os.path.relpath(frame, path.parent) for frame in seq.frames],
                  "gt_rect": seq.boxes.tolist(), "attr": [name for name, flag in seq.attributes.items() if flag]}
        if with_absent:
            record["absent"] = [int(not flag) for flag in seq.absent]
        data[(renamed or {}).get(seq.name, seq.name)] = record
    path.write_text(json.dumps(data))
    return path


def write_result(folder, name, boxes, times):
    """The two result files of sequence ``name`` as the runner writes them (times first), without
    the provenance record the runner writes before them."""
    from benchmarks.runner.folders import result_files
    from simtrack.formats.atomic import atomic_write
    for path, data in result_files(folder, name, boxes, times):
        atomic_write(path, data)
