"""The TraX server of simtrack.adapters.vot, driven with the TraX client API (as the VOT toolkit does)."""
import itertools
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from model_helpers import random_model

import simtrack
from simtrack.checkpoints import save_checkpoint
from simtrack.data.synthetic.generator import DEMO_SEED_BASE, render_sequence
from simtrack.errors import ConfigError, TrackerInputError
from simtrack.formats.images import read_image

trax = pytest.importorskip("trax")     # optional third-party package; our server must then import
from trax.client import Client  # noqa: E402
from trax.image import FileImage  # noqa: E402

from simtrack.adapters import vot as vot_adapter  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SIZE = (96, 72)
LIFETIME = 240   # seconds before a server is killed, so that a hang fails the test instead of blocking it


def through_trax(values):
    """What a float box becomes on the wire: float32, printed with 4 decimals, read back as float32."""
    return np.array([np.float32(f"{np.float32(v):.4f}") for v in values], dtype=np.float32)


class Session:
    """A server process and the client connected to it over its stdin/stdout, as the toolkit runs it."""

    numbers = itertools.count()
    started = []

    def __init__(self, tmp_path, **env):
        self.started.append(self)
        self.events = tmp_path / f"server-{next(self.numbers)}.events"
        environment = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "SIMTRACK_DEVICE": "cpu",
                       "SIMTRACK_VOT_EVENTS": str(self.events), **env}
        self.stderr = open(tmp_path / f"{self.events.stem}.stderr", "w+")
        self.process = subprocess.Popen([sys.executable, "-m", "simtrack.adapters.vot"], cwd=tmp_path,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
                                        env=environment)
        self.watchdog = threading.Timer(LIFETIME, self.process.kill)
        self.watchdog.daemon = True
        self.watchdog.start()

    def connect(self):
        self.traffic = []    # the client library insists on a log sink: it receives the protocol lines
        self.client = Client(stream=(self.process.stdin.fileno(), self.process.stdout.fileno()),
                             log=self.traffic.append)
        return self.client

    def initialize(self, path, region):
        return self.client.initialize({"color": FileImage.create(str(path))}, [(region, {})], {})[0]

    def frame(self, path):
        return self.client.frame({"color": FileImage.create(str(path))}, {}, [])[0]

    def send_raw(self, message):
        """Speak the TraX text protocol by hand; returns the server's reply line."""
        assert self.process.stdout.readline().startswith(b"@@TRAX:hello")
        self.process.stdin.write(f"{message} \n".encode())
        self.process.stdin.flush()
        return self.process.stdout.readline().decode()

    def quit_reason(self, request):
        """Run ``request(session)``; returns the message with which the server ended the session."""
        try:
            return request(self)       # raw protocol: the reply line itself
        except trax.TraxException as error:
            return str(error)          # client library: the quit reason, raised

    def close(self):
        """Kill a server a failed test left behind."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.watchdog.cancel()
        self.stderr.close()

    def finish(self):
        """Exit code of the server; raises if it had to be killed."""
        code = self.process.wait(LIFETIME)
        self.watchdog.cancel()
        self.stderr.close()
        assert code >= 0, "the server hung and was killed by the watchdog"
        return code

    def events_seen(self):
        return [line.split()[0] for line in self.events.read_text().splitlines()]


@pytest.fixture(autouse=True)
def no_leftover_servers():
    yield
    while Session.started:
        Session.started.pop().close()


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return save_checkpoint(random_model("tiny", seed=7), tmp_path_factory.mktemp("weights") / "tiny.safetensors")


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    folder = tmp_path_factory.mktemp("frames")
    rendered = render_sequence(DEMO_SEED_BASE + 1, 8, SIZE)
    paths = []
    for index, frame in enumerate(rendered.frames):
        paths.append(folder / f"{index:08d}.jpg")
        cv2.imwrite(str(paths[-1]), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    return paths, rendered.boxes


def direct_run(checkpoint, paths, box):
    tracker = simtrack.Tracker.from_checkpoint(checkpoint, device="cpu")
    tracker.init(read_image(paths[0]), box)
    return [(tracker.update(read_image(path)), tracker.confidence) for path in paths[1:]]


def test_one_process_serves_reinitialisations_in_every_region_format(tmp_path, checkpoint, video):
    paths, gt = video
    session = Session(tmp_path, SIMTRACK_CHECKPOINT=str(checkpoint), SIMTRACK_VOT_REGIONS="rectangle,polygon,mask")
    client = session.connect()
    assert client.region_formats == ["rectangle", "polygon", "mask"]
    assert client.get("vot") is None and client.tracker_name == "SimTrack"
    expected = direct_run(checkpoint, paths, gt[0])

    [(region, properties)] = session.initialize(paths[0], trax.Rectangle.create(*gt[0]))
    assert region.type == "rectangle" and "confidence" not in properties     # none on init: vot-toolkit 0.9 keeps it
    for path, (box, confidence) in zip(paths[1:], expected):
        [(region, properties)] = session.frame(path)
        np.testing.assert_array_equal(np.float32(region.bounds()), through_trax(box))
        assert properties["confidence"] == f"{confidence:.6f}"

    x, y, w, h = gt[0]
    session.initialize(paths[0], trax.Polygon.create([(x, y), (x + w, y), (x + w, y + h), (x, y + h)]))
    for path, (box, _) in zip(paths[1:4], expected):
        [(region, _)] = session.frame(path)
        assert region.type == "polygon" and region.size() == 4
        np.testing.assert_allclose(vot_adapter.region_to_box(region), through_trax(box), atol=2e-4)

    mask = np.zeros((SIZE[1] - 2, SIZE[0] - 3), dtype=np.uint8)
    mask[int(y) - 2:int(y + h) - 2, int(x) - 3:int(x + w) - 3] = 1
    session.initialize(paths[0], trax.Mask.create(mask, x=3, y=2))
    for path, (box, _) in zip(paths[1:4], expected):
        [(region, _)] = session.frame(path)
        assert region.type == "mask"
        np.testing.assert_allclose(vot_adapter.region_to_box(region), box, atol=1)

    client.quit()
    assert session.finish() == 0
    assert session.events_seen() == ["start", "init", "init", "init"]


def initialize(path, region):
    """A request that connects with the TraX client and initialises."""
    return lambda session: (session.connect(), session.initialize(path, region))


def test_bad_requests_end_the_session_with_a_message(tmp_path, checkpoint, video):
    paths, gt = video
    frame = f'@@TRAX:frame "file://{paths[0]}"'
    weights = {"SIMTRACK_CHECKPOINT": str(checkpoint)}
    # (server environment, request, expected quit reason). The TraX client library refuses to send an
    # initialisation without a region, so that one is spoken raw: a frame with no initialisation before
    # it. (An initialisation with the special region 0 is refused by region_to_box, tested below.)
    cases = [
        (weights, lambda s: s.send_raw(frame), "frame request arrived before any initialisation"),
        (weights, initialize(paths[0], trax.Rectangle.create(500, 400, 20, 20)), "lies outside the 96x72 frame"),
        (weights, lambda s: (initialize(paths[0], trax.Rectangle.create(*gt[0]))(s), s.frame(tmp_path / "gone.jpg")),
         "frame .*gone.jpg does not exist"),
        ({"SIMTRACK_WEIGHTS": str(tmp_path / "absent.safetensors")},      # the old name still works
         initialize(paths[0], trax.Rectangle.create(*gt[0])), "absent.safetensors: the file does not exist"),
        ({**weights, "SIMTRACK_DEVICE": "gpu0"}, initialize(paths[0], trax.Rectangle.create(*gt[0])),
         "SIMTRACK_DEVICE 'gpu0' is not a device name"),
        ({**weights, "SIMTRACK_THREADS": "many"}, initialize(paths[0], trax.Rectangle.create(*gt[0])),
         "SIMTRACK_THREADS expects a whole number >= 1, got 'many'"),
        (weights, lambda s: (initialize(paths[0], trax.Rectangle.create(*gt[0]))(s), s.frame(truncated)),
         "frame .*cut.jpg is truncated"),
        ({"SIMTRACK_TRACKER": "nosuchmodule.sub:Tracker"}, initialize(paths[0], trax.Rectangle.create(*gt[0])),
         "tracker nosuchmodule.sub:Tracker: cannot import module nosuchmodule.sub: ModuleNotFoundError"),
        ({**weights, "SIMTRACK_TRACKER": "mil"}, initialize(paths[0], trax.Rectangle.create(*gt[0])),
         "SIMTRACK_CHECKPOINT: SimTrack's setting.s., but SIMTRACK_TRACKER is mil"),
    ]
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(paths[1].read_bytes()[:-100])
    sessions = [Session(tmp_path, **env) for env, _, _ in cases]    # start side by side, then drive each
    for session, (_, request, reason) in zip(sessions, cases):
        assert re.search(reason, session.quit_reason(request)), reason
    assert [session.finish() for session in sessions] == [2] * len(cases)


@pytest.mark.parametrize("kind", ["rectangle", "polygon", "mask"])
def test_box_region_round_trip(kind):
    box = np.array([12.0, 7.0, 20.0, 9.0])
    np.testing.assert_array_equal(vot_adapter.region_to_box(vot_adapter.box_to_region(box, kind)), box)


def test_region_errors():
    with pytest.raises(TrackerInputError, match="mask region is empty"):
        vot_adapter.region_to_box(trax.Mask.create(np.zeros((3, 3), np.uint8)))
    with pytest.raises(TrackerInputError, match="special region 0"):
        vot_adapter.region_to_box(trax.region.Special.create(0))
    with pytest.raises(ConfigError, match="subset of rectangle,polygon,mask"):
        vot_adapter.parse_region_formats("box")
    assert vot_adapter.parse_region_formats(" Rectangle, mask ") == ("rectangle", "mask")
    vot_adapter.check_inside((-5, -5, 6, 6), (72, 96), "f.jpg")       # one pixel overlaps: accepted
    with pytest.raises(TrackerInputError, match="outside"):
        vot_adapter.check_inside((96, 0, 5, 5), (72, 96), "f.jpg")
