"""``python -m simtrack.track``: your own video in, one box per frame and an annotated video out.

Videos are fabricated with OpenCV's VideoWriter (a filled square moving over a grey background),
then damaged in the ways real files are: cut short, zeroed in the middle, empty, not a video.
"""
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from visual_data import video_frames, write_clip

from simtrack import track
from simtrack.cli import run_cli
from simtrack.formats.box_tables import read_boxes
from simtrack.formats.palette import rgb, tracker_color
from simtrack.formats.video import FrameSource, VideoOutput

SIZE = (480, 360)
FRAMES = 20
BOX = (60, 100, 60, 60)
REPO = Path(__file__).resolve().parents[1]


def frame(index):
    """Frame ``index`` of the clip, as an image file would hold it."""
    image = np.full((SIZE[1], SIZE[0], 3), 96, np.uint8)
    x, y, w, h = BOX
    cv2.rectangle(image, (x + 6 * index, y + 2 * index), (x + w + 6 * index, y + h + 2 * index), (40, 200, 240), -1)
    return image


def write_video(path, frames=FRAMES, codec="mp4v"):
    return write_clip(path, BOX, SIZE, frames, codec)


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return write_video(tmp_path_factory.mktemp("video") / "clip.mp4")


def run(argv, capsys):
    """(exit code, stderr) of the command run in-process as the console script runs it."""
    with pytest.raises(SystemExit) as caught:
        run_cli(track.main, [str(a) for a in argv] + ["--threads", "1"])
    return caught.value.code, capsys.readouterr().err


def test_tracks_a_video_file_and_writes_one_box_per_frame(video, tmp_path, capsys):
    boxes_path, out = tmp_path / "boxes.txt", tmp_path / "tracked.mp4"
    code, err = run([video, "--box", ",".join(map(str, BOX)), "--boxes", boxes_path, "--out", out], capsys)
    assert code == 0, err
    assert "embedded tiny demo model" in err and "frames/s" in err
    boxes = read_boxes(boxes_path)
    assert boxes.shape == (FRAMES, 4) and np.isfinite(boxes).all()
    np.testing.assert_array_equal(boxes[0], BOX)
    assert boxes_path.read_text().splitlines()[0] == "60.0000,100.0000,60.0000,60.0000"
    frames = video_frames(out)
    assert len(frames) == FRAMES and frames[0].shape == (SIZE[1], SIZE[0], 3)
    # the drawn box: its top edge in the tracker's colour (BGR in the file) where the boxes file says
    k = 10
    x, y, w, h = np.round(boxes[k]).astype(int)
    edge = frames[k][y, x + 5:x + w - 5].astype(int)
    assert np.abs(np.median(edge, 0) - rgb(tracker_color(0))[::-1]).max() < 40
    assert np.abs(frames[k][5, SIZE[0] - 5].astype(int) - 96).max() < 20          # the background is untouched


def test_a_folder_of_frames_in_natural_order_and_the_default_boxes_file(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "frames"
    folder.mkdir()
    for index in range(12):
        cv2.imwrite(str(folder / f"{index + 1}.jpg"), frame(index))
    (folder / "notes.txt").write_text("not a frame")
    monkeypatch.chdir(tmp_path)
    code, err = run([folder, "--box", "60 100 60 60"], capsys)
    assert code == 0, err
    assert read_boxes(tmp_path / "frames_boxes.txt").shape == (12, 4)
    assert [p.name for p in FrameSource(folder).frames][:3] == ["1.jpg", "2.jpg", "3.jpg"]


def test_a_corrupt_frame_in_a_folder_stops_with_the_boxes_before_it_kept(tmp_path, capsys):
    folder = tmp_path / "frames"
    folder.mkdir()
    for index in range(10):
        cv2.imwrite(str(folder / f"{index:04d}.png"), frame(index))
    (folder / "0006.png").write_bytes(b"\x89PNG garbage")
    code, err = run([folder, "--box", "60,100,60,60", "--boxes", tmp_path / "b.txt"], capsys)
    assert code == 2 and "0006.png" in err and "Traceback" not in err
    assert "6 frames tracked are kept in" in err
    assert read_boxes(tmp_path / "b.txt").shape == (6, 4)


def test_a_video_damaged_in_the_middle_keeps_the_boxes_up_to_the_damage(video, tmp_path, capsys):
    data = video.read_bytes()
    broken = tmp_path / "broken.mp4"
    middle = len(data) // 2
    broken.write_bytes(data[:middle] + bytes(3000) + data[middle + 3000:])
    code, err = run([broken, "--box", "60,100,60,60", "--boxes", tmp_path / "b.txt"], capsys)
    assert code == 2 and "cannot be decoded" in err and "damaged" in err, err
    kept = read_boxes(tmp_path / "b.txt")
    assert 1 <= len(kept) < FRAMES and f"{len(kept)} frames tracked are kept" in err
    assert "marker does not match" not in err          # FFmpeg's own noise is silenced


def test_a_truncated_video_says_so_after_the_frames_it_has(tmp_path, capsys):
    clip = write_video(tmp_path / "clip.avi", codec="MJPG")
    data = clip.read_bytes()
    clip.write_bytes(data[:len(data) // 2])
    code, err = run([clip, "--box", "60,100,60,60", "--boxes", tmp_path / "b.txt", "--out", tmp_path / "o.avi"], capsys)
    assert code == 2 and "truncated" in err and f"header announces {FRAMES} frames" in err, err
    kept = len(read_boxes(tmp_path / "b.txt"))
    assert 0 < kept < FRAMES and len(video_frames(tmp_path / "o.avi")) == kept   # the partial video still plays


def written(path, data):
    path.write_bytes(data)
    return path


def folder(path):
    path.mkdir()
    return path


@pytest.mark.parametrize("make,message", [
    (lambda p: p / "missing.mp4", "does not exist"),
    (lambda p: written(p / "empty.mp4", b""), "empty (0 bytes)"),
    (lambda p: written(p / "notes.mp4", b"hello\n" * 20), "cannot open it as a video"),
    (lambda p: folder(p / "frames"), "holds no frames"),
    (lambda p: "7", "camera 7 cannot be opened"),
])
def test_unreadable_inputs_get_one_clear_line(tmp_path, capsys, monkeypatch, make, message):
    monkeypatch.chdir(tmp_path)
    code, err = run([make(tmp_path), "--box", "1,1,5,5"], capsys)
    assert code == 2 and message in err and "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("error: ")


def test_a_video_cut_before_its_index_is_refused(video, tmp_path, capsys):
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(video.read_bytes()[: video.stat().st_size // 2])
    code, err = run([cut, "--box", "1,1,5,5", "--boxes", tmp_path / "b.txt"], capsys)
    assert code == 2 and "cannot open it as a video" in err and not (tmp_path / "b.txt").exists()


@pytest.mark.parametrize("box,message", [
    ("600,100,60,60", "lies outside the first frame"), ("=-70,0,60,60", "lies outside"),
    ("1,2,3", "expected four numbers"), ("1,2,0,5", "must be positive"), ("a,b,c,d", "--box"),
])
def test_bad_boxes_are_refused_before_the_model_loads(video, tmp_path, capsys, box, message):
    option = ["--box" + box] if box.startswith("=") else ["--box", box]
    code, err = run([video, *option, "--boxes", tmp_path / "b.txt"], capsys)
    assert code == 2 and message in err and "demo model" not in err
    assert not (tmp_path / "b.txt").exists()


def test_without_a_display_a_box_is_required_and_show_refused(video, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    code, err = run([video], capsys)
    assert code == 2 and "no --box given" in err and "pass --box x,y,w,h" in err
    code, err = run([video, "--box", "1,1,5,5", "--show"], capsys)
    assert code == 2 and "--show needs a display" in err


def test_with_a_display_the_box_is_drawn_with_the_mouse(video, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DISPLAY", ":99")
    drawn = []
    monkeypatch.setattr(cv2, "selectROI", lambda window, image, **kw: drawn.append(image.shape) or (60, 100, 60, 60))
    code, err = run([video, "--boxes", tmp_path / "b.txt", "--max-frames", "3"], capsys)
    assert code == 0 and drawn == [(SIZE[1], SIZE[0], 3)] and "--box 60,100,60,60" in err
    assert read_boxes(tmp_path / "b.txt").shape == (3, 4)
    monkeypatch.setattr(cv2, "selectROI", lambda window, image, **kw: (0, 0, 0, 0))
    code, err = run([video, "--boxes", tmp_path / "c.txt"], capsys)
    assert code == 2 and "no box was drawn" in err


def test_output_options_are_checked_first(video, tmp_path, capsys):
    code, err = run([video, "--box", "1,1,5,5", "--out", tmp_path / "x.webp"], capsys)
    assert code == 2 and "cannot write videos of type '.webp'" in err
    code, err = run([video, "--box", "1,1,5,5", "--out", tmp_path / "a.mp4", "--boxes", tmp_path / "a.mp4"], capsys)
    assert code == 2 and "same file" in err
    code, err = run([video, "--box", "1,1,5,5", "--boxes", tmp_path], capsys)
    assert code == 2 and "is a folder" in err


def test_gif_output_is_subsampled_and_small(tmp_path):
    with VideoOutput(tmp_path / "a.gif", fps=25, frames=900) as gif:
        for index in range(900):
            gif.write(np.full((360, 960, 3), index % 256, np.uint8))
    from PIL import Image
    with Image.open(tmp_path / "a.gif") as image:
        assert image.n_frames == 300 and image.size == (480, 180)


def test_readme_command_runs_as_printed(video, tmp_path):
    command = [sys.executable, "-m", "simtrack.track", str(video), "--box", "60,100,60,60", "--out",
               str(tmp_path / "tracked.mp4"), "--boxes", str(tmp_path / "boxes.txt"), "--threads", "1"]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert len(read_boxes(tmp_path / "boxes.txt")) == FRAMES and (tmp_path / "tracked.mp4").stat().st_size > 0


def test_console_entry_points_are_declared():
    from benchmarks import commands
    setup = (REPO / "setup.cfg").read_text()
    for name, module in (("simtrack-track", "simtrack.track"), ("simtrack-visualize", "benchmarks.visualize")):
        assert commands.MODULES[name] == module
        assert f"{name} = benchmarks.commands:{name.split('-')[1]}" in setup


def test_a_boxes_file_that_cannot_be_written_is_refused_before_the_model_loads(video, tmp_path, capsys):
    code, err = run([video, "--box", "1,1,5,5", "--boxes", tmp_path / "no" / "such" / "b.txt"], capsys)
    assert code == 2 and "does not exist" in err and "demo model" not in err
