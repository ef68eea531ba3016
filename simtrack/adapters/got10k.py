"""SimTrack, or any tracker spec, inside the got10k toolkit (``got10k==0.1.3``): a
``got10k.trackers.Tracker`` and offline experiment constructors.

    from simtrack.adapters.got10k import SimTrackGOT10k, local_otb_experiment, spec_tracker
    tracker = SimTrackGOT10k.from_checkpoint("sim-vit-b-16.pth")
    experiment = local_otb_experiment("data/otb", "results/got10k", "reports/got10k")
    experiment.run(tracker)
    experiment.run(spec_tracker("mil"))                 # or "mypkg.module:Factory", as --tracker takes it
    experiment.report([tracker.name, "mil"])

What 0.1.3 needs on current dependencies (see docs/adapters.md): ``six`` installed (its datasets
import it without declaring it); ``ExperimentOTB`` downloads in its constructor, so
:func:`local_otb_experiment` builds it on local data instead; ``ExperimentVOT`` uses ``np.NaN``,
removed in NumPy 2, so run VOT benchmarks through ``simtrack.adapters.vot`` and the VOT toolkit.
"""
import os
import time
from pathlib import Path

import numpy as np

from ..errors import DatasetError, TrackerInputError
from ..formats.images import FrameSize, read_image
from ..tracker import Tracker
from ..trackers.generic import PreparedFrame
from ..trackers.spec import build, parse_spec

try:
    from got10k.trackers import Tracker as Got10kTracker
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError("simtrack.adapters.got10k needs the got10k toolkit: "
                      "pip install 'got10k==0.1.3' six (or pip install -e '.[got10k]')") from error


def to_rgb_array(image):
    """A PIL image (any mode) or an RGB array as an H x W x 3 uint8 RGB array."""
    if isinstance(image, np.ndarray):
        return image
    if not hasattr(image, "convert"):
        raise TrackerInputError(f"image must be a PIL image or an RGB uint8 array, got {type(image).__name__}")
    return np.asarray(image if image.mode == "RGB" else image.convert("RGB"))


class SimTrackGOT10k(Got10kTracker):
    """Our :class:`simtrack.Tracker` behind the got10k toolkit's two-method contract.

    ``init``/``update`` take what the toolkit passes (PIL images, or arrays) and boxes as
    ``x, y, w, h``. ``track`` reads frames with ``simtrack.formats.images.read_image``, the verified
    OpenCV decode the rest of SimTrack uses, so results match ``python -m benchmarks.run`` on the
    same frames (a truncated, corrupt or wrong-size frame raises TrackerInputError instead of being
    tracked), and it leaves no PIL file handles open.
    """

    def __init__(self, tracker, name="SimTrack"):
        super().__init__(name=name, is_deterministic=True)
        self.tracker = tracker

    @classmethod
    def from_checkpoint(cls, path, variant=None, device="auto", name="SimTrack", **options):
        """``options`` are ``simtrack.Tracker``'s speed options (fast, precision, compile, cuda_graphs, crop)."""
        return cls(Tracker.from_checkpoint(path, variant=variant, device=device, **options), name=name)

    def init(self, image, box):
        self.tracker.init(to_rgb_array(image), box)

    def update(self, image):
        return self.tracker.update(to_rgb_array(image))

    def track(self, img_files, box, visualize=False):
        """Boxes (N x 4, the first one ``box``) and per-frame seconds, as the toolkit expects."""
        return track_files(self.tracker, img_files, box, visualize)


class SpecGOT10k(Got10kTracker):
    """A ``GenericTracker`` (any tracker spec) behind the got10k toolkit's contract; see ``spec_tracker``.

    ``track`` reads frames as the runner does (``read_image``, converted to the tracker's image type
    outside the timed calls), so its boxes equal ``python -m benchmarks.run --tracker`` on the same
    frames; ``init``/``update`` also take the PIL images the toolkit passes elsewhere.
    """

    def __init__(self, tracker, name):
        super().__init__(name=name, is_deterministic=True)
        self.tracker = tracker

    def _prepared(self, image):
        if self.tracker.image_type == "pil" and hasattr(image, "convert"):
            return PreparedFrame(image if image.mode == "RGB" else image.convert("RGB"))
        return self.tracker.prepare(to_rgb_array(image))

    def init(self, image, box):
        self.tracker.init(self._prepared(image), box)

    def update(self, image):
        return self.tracker.update(self._prepared(image))

    def track(self, img_files, box, visualize=False):
        return track_files(self.tracker, img_files, box, visualize, self.tracker.prepare)


def track_files(tracker, img_files, box, visualize=False, prepare=None):
    """Boxes (N x 4, the first one ``box``) and per-frame seconds of ``tracker`` (a ``simtrack.Tracker``
    or ``GenericTracker``: ``init`` returns the first box) over the frames ``img_files``.

    Frames are read as the runner reads them (``read_image``, each checked against the first's
    size) and, with ``prepare(rgb, path)``, converted to the tracker's image type outside the
    timed calls: the boxes equal ``python -m benchmarks.run`` on the same frames.
    """
    boxes = np.zeros((len(img_files), 4))
    times = np.zeros(len(img_files))
    size = FrameSize()
    for index, path in enumerate(img_files):
        rgb = size.check(read_image(path), path)
        image = rgb if prepare is None else prepare(rgb, path)
        start = time.perf_counter()
        boxes[index] = tracker.init(image, box) if index == 0 else tracker.update(image)
        times[index] = time.perf_counter() - start
        if visualize:
            from got10k.utils.viz import show_frame
            show_frame(rgb[..., ::-1], boxes[index])  # show_frame expects BGR arrays
    return boxes, times


def spec_tracker(spec, options=None, device=None, name=None):
    """The tracker of ``spec`` (``"mil"``, ``"mypkg.module:Factory"``: what ``--tracker`` takes, with
    ``options`` as a dict or ``key=value`` texts) as a got10k ``Tracker``.

    A class that already is a got10k ``Tracker`` is returned as built, so it runs exactly as it
    would without us; any other is wrapped in ``SpecGOT10k`` (checked boxes, its image type).
    ``name`` (default: the tracker's name) is the toolkit's results folder.
    """
    spec = parse_spec(spec, options, "spec") if isinstance(spec, str) else spec
    generic = build(spec, device=device, name=name)
    if isinstance(generic.tracker, Got10kTracker):
        if name:
            generic.tracker.name = name
        return generic.tracker
    return SpecGOT10k(generic, name or spec.default_name)


def _dataset_root(root, layout):
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{layout} root {root} does not exist; pass the folder holding the {layout} "
                           f"data (nothing is downloaded)")
    return root


def local_otb_experiment(root, result_dir="results", report_dir="reports", version=2015):
    """``ExperimentOTB`` over the OTB sequences present under ``root``, never downloading.

    ``root`` holds ``<Sequence>/img/%04d.jpg`` and ``<Sequence>/groundtruth_rect*.txt`` folders
    named as in OTB; sequences of ``version`` that are missing are skipped (the toolkit prints a
    warning for each). Results go to ``result_dir/OTB<version>/<tracker>``.
    """
    from got10k.datasets import OTB
    from got10k.experiments import ExperimentOTB

    root = _dataset_root(root, "OTB")
    # The toolkit raises a bare Exception for an empty root; ours names the expected layout.
    dataset = OTB(str(root), version, download=False) if any(root.iterdir()) else []
    if len(dataset) == 0:
        raise DatasetError(f"no OTB{version} sequence under {root}: expected folders such as "
                           f"{root}/Basketball/img/0001.jpg with {root}/Basketball/groundtruth_rect.txt")
    # The toolkit's constructor would call OTB(..., download=True); set its attributes ourselves.
    experiment = ExperimentOTB.__new__(ExperimentOTB)
    experiment.dataset = dataset
    experiment.result_dir = os.path.join(result_dir, f"OTB{version}")
    experiment.report_dir = os.path.join(report_dir, f"OTB{version}")
    experiment.nbins_iou = 21
    experiment.nbins_ce = 51
    return experiment


def local_got10k_experiment(root, subset="val", result_dir="results", report_dir="reports"):
    """``ExperimentGOT10k`` on local data, with our error instead of the toolkit's bare ``Exception``.

    ``root`` holds ``<subset>/list.txt`` and one folder per sequence (``%08d.jpg`` frames,
    ``groundtruth.txt``; for ``val`` also ``meta_info.ini`` and the ``absence``/``cover``/
    ``cut_by_image`` ``.label`` files the report reads).
    """
    from got10k.experiments import ExperimentGOT10k

    if subset not in ("val", "test"):
        raise DatasetError(f"GOT-10k subset must be 'val' or 'test', got {subset!r}")
    list_file = _dataset_root(root, "GOT-10k") / subset / "list.txt"
    if not list_file.is_file():
        raise DatasetError(f"{list_file} does not exist: a GOT-10k root holds {subset}/list.txt naming "
                           f"one sequence folder per line")
    missing = [name for name in list_file.read_text().split() if not (list_file.parent / name).is_dir()]
    if missing:
        raise DatasetError(f"{list_file} names sequence folders that do not exist: {', '.join(missing[:5])}")
    return ExperimentGOT10k(str(root), subset=subset, result_dir=result_dir, report_dir=report_dir)
