"""Experiment classes that run where vot-toolkit 0.9.0's own fail, named by our stack files.

A stack file may give an experiment's ``type`` (and a transformer's) as an import path; the toolkit
imports it. vot_workspace/stacks/*.yaml are the official VOT2022 short-term box and long-term
stacks (and a short local one) with these classes, so the plain ``vot evaluate`` / ``vot
analysis`` commands run every experiment of those stacks under 0.9.0 and 0.7.4 alike. Nothing in
the toolkit is changed: a workspace that names an official stack (``stack: vot2022/shorttermbox``)
runs the toolkit's own classes, and these classes touch only the runs they execute.

What they fix (docs/vot.md has each failure with the toolkit's traceback and its reproduction):

* 0.9.0, ``multistart`` (``baseline``, ``realtime``): the anchor's initial region is handed over as
  an object status instead of a region (``ObjectQuery.state must be a Region``, multistart.py:119),
  at the anchor's frame number instead of frame 0 of the anchor's sub-sequence (every anchor after
  the first gets an empty initialisation), and the results are read back with the old indexing
  (``'float' object is not subscriptable``) dropping the confidence. ``MultiStart.execute`` is the
  toolkit's own with those three corrected;
* 0.9.0, ``realtime``: its realtime runtime has no ``run`` (``NotImplementedError``), and over TraX
  it hands the tracker ``None`` for "no new objects" (``multiple objects were provided for update``);
* 0.9.0, ``python`` protocol: the runtime says it is multi-object until its worker has started, so
  the unsupervised experiment takes its multi-object path and fails on objects that appear after
  the first frame (VOTS): the worker is started before the experiment asks;
* 0.7.4 and 0.9.0, ``redetection`` (long-term): the transformer is built before the workspace's
  cache exists (``Local cache is required for redetection transformer``), and, once it has one,
  makes sequences ``initialization`` frames long instead of ``length``. ``Redetection`` and the
  experiments' ``transform`` fix both.

On 0.7.4 ``MultiStart`` and ``Unsupervised`` are the toolkit's classes with the cache fix only.
tests/test_vot_toolkit.py shows on each run that the official 0.9.0 classes still fail (so these
are still needed) and that ours give the same boxes as 0.7.4.
"""
from vot.experiment.multirun import UnsupervisedExperiment
from vot.experiment.multistart import MultiStartExperiment
from vot.experiment.transformer import Redetection as _Redetection

try:                                    # the runtime API of 0.8/0.9 (absent in 0.7.4)
    from vot.tracker import ObjectQuery
except ImportError:                     # pragma: no cover - depends on the installed toolkit
    ObjectQuery = None

NEW_RUNTIME = ObjectQuery is not None


class _TransformerCache:
    """Transformers built while the stack was parsed have no cache yet: give them the workspace's."""

    def transform(self, sequences):
        for transformer in getattr(self, "transformers", None) or []:
            if getattr(transformer, "_cache", None) is None and self.storage is not None:
                transformer._cache = self.storage.substorage("cache").substorage("transformer")
        return super().transform(sequences)


def _runtime(experiment, tracker, sequence):
    """``Experiment._get_runtime`` of 0.9 with the realtime and python-protocol fixes."""
    from vot.tracker import OnlineTrackerRuntime, RealtimeTrackerRuntime
    from vot.utilities import to_number

    runtime = tracker.runtime()
    if hasattr(runtime, "_ensure_started"):          # python protocol: learn multiobject from the worker
        runtime._ensure_started()
    if experiment.realtime is None:
        return runtime
    update = runtime.update

    def update_never_none(frame, new=None, properties=None):
        return update(frame, [] if new is None else new, properties)

    runtime.update = update_never_none
    grace = to_number(experiment.realtime.grace, min_n=0)
    fps = to_number(experiment.realtime.fps, min_n=0, conversion=float)

    class Realtime(RealtimeTrackerRuntime):
        run = OnlineTrackerRuntime.run

    return Realtime(runtime, grace, 1 / float(sequence.metadata("fps", fps)))


class MultiStart(_TransformerCache, MultiStartExperiment):
    """The ``multistart`` experiment (VOT2020-2022 short-term ``baseline`` and ``realtime``)."""

    if NEW_RUNTIME:
        def _get_runtime(self, tracker, sequence, multiobject=False):
            return _runtime(self, tracker, sequence)

        def execute(self, tracker, sequence, force=False, callback=None):
            from vot.dataset.proxy import FrameMapSequence
            from vot.experiment.multistart import find_anchors
            from vot.region import Special
            from vot.tracker import Trajectory

            results = self.results(tracker, sequence)
            forward, backward = find_anchors(sequence, self.anchor)
            if not forward and not backward:
                raise RuntimeError("Sequence does not contain any anchors")
            runs = [(anchor, False) for anchor in forward] + [(anchor, True) for anchor in backward]
            with self._get_runtime(tracker, sequence) as runtime:
                for done, (anchor, reverse) in enumerate(runs, 1):
                    name = f"{sequence.name}_{anchor:08d}"
                    if Trajectory.exists(results, name) and not force:
                        continue
                    frames = list(reversed(range(0, anchor + 1))) if reverse else list(range(anchor, len(sequence)))
                    proxy = FrameMapSequence(sequence, frames)
                    query = ObjectQuery(self._get_initialization(proxy, 0).region, {}, 0)
                    status = runtime.run(proxy, [query])
                    trajectory = Trajectory(len(proxy))
                    trajectory.set(0, Special(Trajectory.INITIALIZATION), {"time": status.times[0]})
                    for frame in range(1, len(proxy)):
                        reported = status.objects[0][frame]
                        trajectory.set(frame, reported.region, {**reported.properties, "time": status.times[frame]})
                    trajectory.write(results, name)
                    if callback:
                        callback(done / len(runs))


class Unsupervised(_TransformerCache, UnsupervisedExperiment):
    """The ``unsupervised`` experiment (short-term ``unsupervised``, long-term, VOTS)."""

    if NEW_RUNTIME:
        def _get_runtime(self, tracker, sequence, multiobject=False):
            return _runtime(self, tracker, sequence)


class Redetection(_Redetection):
    """The long-term ``redetection`` transformer, making sequences ``length`` frames long."""

    def __call__(self, sequence):
        from vot.dataset.proxy import FrameMapSequence
        [proxy] = super().__call__(sequence)
        length = max(self.length, self.initialization + 1)
        return [FrameMapSequence(proxy._source, [0] * self.initialization + [1] * (length - self.initialization))]
