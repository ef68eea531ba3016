"""Downloads are untrusted: a catalogue of hostile-but-plausible inputs, each built small, replayed
against the commands with a memory cap and a time limit.

Every case is built here (a bomb is a few KB: big members are declared in headers or streamed
through the compressor, never written out) and run by ``untrusted_driver.py``, which imports the
commands once and forks one child per case with ``RLIMIT_AS`` (the driver's size + 500 MB for
scoring commands) and a timeout. A refused case must exit non-zero with one line naming the file and
no traceback, within its time and memory; an accepted one must give the intact input's numbers; no
input may change and nothing may be written outside the case's folder. Scoring and model commands
run in two drivers (scoring imports no torch). The readers are fuzzed with hypothesis at the end.
"""
import io
import json
import os
import re
import struct
import subprocess
import sys
import tarfile
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from fabricate import make_got10k, make_lasot, make_lasot_toolkit, remove_frames, write_frames
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from simtrack.data.bundles import pysot_json
from simtrack.errors import DatasetError, ResultsError
from simtrack.formats.box_tables import parse_numbers, parse_table

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
NAMES = ("airplane-1", "airplane-13", "rubicCube-1", "airplane-2")
FRAMES = 24
MB = 1 << 20
SCORING_PEAK_MB = 500            # the budget for a scoring command (a LaSOT evaluation peaks at ~175 MB)
MODEL_PEAK_MB = 2400             # 2x the tiny model tracking (~1.2 GB, torch's libraries included)


# ------------------------------------------------------------------ building blocks

class Zeros(io.RawIOBase):
    """``size`` bytes of ``fill`` read in chunks: a big member streamed, never held."""

    def __init__(self, size, fill=b"0,0,0,0\n"):
        self.left, self.chunk = size, fill * (65536 // len(fill))

    def readable(self):
        return True

    def readinto(self, buffer):
        count = min(len(buffer), self.left, len(self.chunk))
        buffer[:count] = self.chunk[:count]
        self.left -= count
        return count


def zip_bytes(members, method=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", method) as archive:
        warnings.simplefilter("ignore", UserWarning)               # a duplicate name is the point of some cases
        for name, data in members:
            if isinstance(data, int):           # a member of that many bytes, streamed
                info = zipfile.ZipInfo(name)
                info.compress_type = method
                with archive.open(info, "w") as handle:
                    source = Zeros(data)
                    while chunk := source.read(1 << 20):
                        handle.write(chunk)
            else:
                archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return bytearray(buffer.getvalue())


def patch_zip(data, member, **fields):
    """Rewrite fields of ``member``'s local header and central directory entry: what a damaged or
    hostile zip holds (``usize`` declared size, ``method``, ``flags``, ``crc``)."""
    where = {"local": (b"PK\x03\x04", 30, 26, {"flags": 6, "method": 8, "crc": 14, "usize": 22}),
             "central": (b"PK\x01\x02", 46, 28, {"flags": 8, "method": 10, "crc": 16, "usize": 24})}
    name = member.encode()
    for signature, header, name_at, offsets in where.values():
        position = data.find(signature)
        while position >= 0:
            length = struct.unpack_from("<H", data, position + name_at)[0]
            if data[position + header:position + header + length] == name:
                for field, value in fields.items():
                    struct.pack_into("<H" if field in ("flags", "method") else "<I", data, position + offsets[field],
                                     value)
            position = data.find(signature, position + 4)
    return data


def tar_bytes(members, mode="w:gz"):
    """A tar archive of ``(name, bytes | size | ("symlink", target))`` members."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode, **({"compresslevel": 1} if mode == "w:gz" else {})) as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            if isinstance(data, tuple):
                info.type, info.linkname = tarfile.SYMTYPE, data[1]
                archive.addfile(info)
            elif isinstance(data, int):
                info.size = data
                archive.addfile(info, Zeros(data))
            else:
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return bytearray(buffer.getvalue())


def png_bomb(width, height):
    """A 1-bit grey PNG of ``width`` x ``height`` pixels: a few KB that decode to width * height * 3 bytes."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    row = b"\0" * (1 + (width + 7) // 8)
    packer, body = zlib.compressobj(9), bytearray()
    for _ in range(height):
        body += packer.compress(row)
    body += packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", bytes(body)) + chunk(b"IEND", b"")


def fifo(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    return path


def copy_tree(source, target, skip=()):
    target.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        if path.name not in skip:
            (target / path.name).write_bytes(path.read_bytes())
    return target


def snapshot(root):
    """Every path below ``root`` with its kind, size and modification time."""
    return {str(path): (path.lstat().st_mode, path.lstat().st_size, path.lstat().st_mtime_ns)
            for path in sorted(Path(root).rglob("*"))}


# ------------------------------------------------------------------ the intact inputs

class World:
    """The intact inputs (``inputs/``) and one folder per case (``work/<id>``) with its own inputs."""

    def __init__(self, root):
        self.root, self.inputs, self.work = root, root / "inputs", root / "work"
        rng = np.random.default_rng(0)
        self.expected = make_lasot(self.inputs / "LaSOT", names=NAMES, num_frames=FRAMES, test_list=True)
        self.toolkit = make_lasot_toolkit(self.inputs / "toolkit", self.expected)
        self.results = self.inputs / "results" / "T"
        self.results.mkdir(parents=True)
        for index, (name, truth) in enumerate(self.expected.items()):
            noisy = truth.boxes + rng.normal(0, 1 + index, truth.boxes.shape)
            np.savetxt(self.results / f"{name}.txt", noisy, fmt="%.4f", delimiter=",")
            np.savetxt(self.results / f"{name}_time.txt", rng.uniform(0.01, 0.02, FRAMES), fmt="%.8f")
        self.members = [(path.name, path.read_bytes()) for path in sorted(self.results.iterdir())]
        videos = {name: {"video_dir": name, "init_rect": truth.boxes[0].tolist(),
                         "img_names": [f"{name}/img/{k:08d}.jpg" for k in range(1, FRAMES + 1)],
                         "gt_rect": truth.boxes.tolist(), "attr": ["Illumination Variation"],
                         "absent": [int(not flag) for flag in truth.absent]}
                  for name, truth in self.expected.items()}
        self.pysot = videos
        (self.inputs / "LaSOT.json").write_text(json.dumps(videos))
        test = make_got10k(self.inputs / "GOT-10k", "test", num_frames=FRAMES)
        remove_frames(self.inputs / "GOT-10k")
        self.got10k_test = sorted(test)

    def case(self, name):
        folder = self.work / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def evaluate(self, name, tracker, data_root=None, *extra, report=None):
        folder = self.case(name)
        return {"id": name, "command": "evaluate", "cwd": str(folder), "timeout": 60, "cap_mb": 500,
                "argv": ["--dataset", "lasot", "--data-root", str(data_root or self.toolkit), "--trackers",
                         f"T={tracker}", "--report-dir", str(report or folder / "report"), *extra]}


# ------------------------------------------------------------------ the catalogue

REFUSED, ACCEPTED = "refused", "accepted"


def scoring_cases(world):
    """(case, expectation, what the one line must contain) for the scoring commands."""
    cases = []

    def add(case, expect, needle="", **checks):
        cases.append((case, expect, needle, checks))

    def archive(name, data, suffix, expect=REFUSED, needle=""):
        path = world.case(name) / f"T{suffix}"
        path.write_bytes(bytes(data))
        add(world.evaluate(name, path), expect, needle)

    members = world.members
    intact_zip = zip_bytes(members)
    archive("zip_intact", intact_zip, ".zip", ACCEPTED)
    archive("targz_intact", tar_bytes(members), ".tar.gz", ACCEPTED)
    archive("tarxz_intact", tar_bytes(members, "w:xz"), ".tar.xz", ACCEPTED)
    archive("zip_declares_2gib", patch_zip(zip_bytes(members), "airplane-1.txt", usize=2 << 30), ".zip",
            needle="declares 2,147,483,648 bytes")
    archive("zip_member_bomb", zip_bytes([(n, d) for n, d in members if n != "airplane-1.txt"]
                                         + [("airplane-1.txt", 16 * MB)]), ".zip", needle="declares 16,777,216")
    archive("zip_lies_about_its_size", patch_zip(zip_bytes([(n, d) for n, d in members if n != "airplane-1.txt"]
                                                           + [("airplane-1.txt", 8 * MB)]), "airplane-1.txt",
                                                 usize=100), ".zip", needle="airplane-1.txt")
    archive("zip_unrelated_big_member", patch_zip(zip_bytes(members + [("README.txt", b"read me")]), "README.txt",
                                                  usize=2 << 30), ".zip", ACCEPTED)
    crc = struct.unpack_from("<I", intact_zip, intact_zip.find(b"PK\x01\x02") + 16)[0]
    archive("zip_bad_crc", patch_zip(zip_bytes(members), members[0][0], crc=crc ^ 1), ".zip", needle="CRC")
    archive("zip_cut_short", intact_zip[:len(intact_zip) // 2], ".zip", needle="not a readable results archive")
    archive("zip_deflate64", patch_zip(zip_bytes(members), "airplane-1.txt", method=9), ".zip", needle="Deflate64")
    archive("zip_encrypted", patch_zip(zip_bytes(members), "airplane-1.txt", flags=1), ".zip", needle="encrypted")
    archive("zip_duplicate_member", zip_bytes(members + [("airplane-1.txt", b"1,1,1,1\n" * FRAMES)]), ".zip",
            needle="appears twice")
    archive("zip_member_leaves", zip_bytes(members + [("../../ESCAPED.txt", b"1")]), ".zip", needle="'..'")
    claims_many = zip_bytes(members)                 # the end record declares 60,000 members: refused unparsed
    struct.pack_into("<HH", claims_many, claims_many.rfind(b"PK\x05\x06") + 8, 60_000, 60_000)
    archive("zip_claims_many_members", claims_many, ".zip", needle="60,000 members")
    archive("targz_member_bomb", tar_bytes(members + [("README.txt", 80 * MB)]), ".tar.gz",
            needle="once decompressed")
    archive("tarxz_member_too_big", tar_bytes([(n, d) for n, d in members if n != "airplane-1.txt"]
                                              + [("airplane-1.txt", 2 * MB)], "w:xz"), ".tar.xz",
            needle="2,097,152 bytes")
    many = tar_bytes(members + [(f"x/{k}", b"") for k in range(20_200)])
    archive("targz_many_members", many, ".tar.gz", needle="members")
    bad_crc = tar_bytes(members)
    bad_crc[-8] ^= 0xFF                              # the gzip trailer's CRC-32: tarfile never reads it
    archive("targz_bad_crc", bad_crc, ".tar.gz", needle="CRC")
    intact_tar = tar_bytes(members)
    archive("targz_cut_short", intact_tar[:len(intact_tar) // 2], ".tar.gz", needle="cut short")
    corrupt = tar_bytes(members, "w:xz")
    corrupt[len(corrupt) // 2] ^= 0xFF
    archive("tarxz_corrupt", corrupt, ".tar.xz", needle="T.tar.xz")
    archive("tar_duplicate_member", tar_bytes(members + [("airplane-1.txt", b"1,1,1,1\n" * FRAMES)]), ".tar.gz",
            needle="appears twice")
    archive("tar_symlink_member", tar_bytes([(n, d) for n, d in members if n != "airplane-1.txt"]
                                            + [("airplane-1.txt", ("symlink", "/etc/passwd"))]), ".tar.gz",
            needle="symbolic link")

    def folder(name, expect=REFUSED, needle="", skip=(), edit=None):
        results = copy_tree(world.results, world.case(name) / "T", skip)
        if edit:
            edit(results)
        add(world.evaluate(name, results), expect, needle)

    folder("folder_intact", ACCEPTED)
    folder("result_too_big", needle="refused unread",
           edit=lambda r: (r / "airplane-1.txt").write_bytes(b"1.0,2.0,3.0,4.0\n" * 2000))
    folder("result_is_dev_zero", needle="a link to /dev/zero", skip=("airplane-1.txt",),
           edit=lambda r: os.symlink("/dev/zero", r / "airplane-1.txt"))
    folder("result_is_fifo", needle="FIFO", skip=("airplane-1.txt",), edit=lambda r: fifo(r / "airplane-1.txt"))
    folder("time_file_is_fifo", needle="FIFO", skip=("airplane-1_time.txt",),
           edit=lambda r: fifo(r / "airplane-1_time.txt"))
    outside = world.case("result_link_leaves") / "secret.txt"
    outside.write_text("root:x:0:0:root:/root:/bin/bash\n")
    folder("result_link_leaves", needle="outside the results folder", skip=("airplane-1.txt",),
           edit=lambda r: os.symlink(outside, r / "airplane-1.txt"))

    def inside_link(results):
        (results / "kept").mkdir()
        os.replace(results / "airplane-1.txt", results / "kept" / "airplane-1.txt")
        os.symlink(results / "kept" / "airplane-1.txt", results / "airplane-1.txt")
    folder("result_link_inside", ACCEPTED, edit=inside_link)

    def cr_only(results):
        for path in results.glob("*_time.txt"):
            path.write_bytes(path.read_bytes().replace(b"\n", b"\r"))
    folder("time_file_cr_only", ACCEPTED, edit=cr_only)

    def empty_field(results):
        lines = (results / "airplane-1.txt").read_text().splitlines()
        lines[3] = "1,,2,3,4"
        (results / "airplane-1.txt").write_text("\n".join(lines) + "\n")
    folder("result_empty_field", needle="empty field", edit=empty_field)
    folder("result_not_utf8", needle="airplane-1.txt, line 1",
           edit=lambda r: (r / "airplane-1.txt").write_bytes(b"1,2,\xff\xfe,4\n" * FRAMES))

    def annotations(name, needle, edit, data_root=None):
        toolkit = world.case(name) / "toolkit"
        for path in world.toolkit.rglob("*"):
            if path.is_file():
                (toolkit / path.relative_to(world.toolkit)).parent.mkdir(parents=True, exist_ok=True)
                (toolkit / path.relative_to(world.toolkit)).write_bytes(path.read_bytes())
        edit(toolkit)
        add(world.evaluate(name, world.results, data_root or toolkit), REFUSED, needle)

    annos = "annos/airplane-1.txt"
    annotations("ground_truth_fifo", "FIFO", lambda t: ((t / annos).unlink(), fifo(t / annos)))
    annotations("ground_truth_dev_zero", "character device",
                lambda t: ((t / annos).unlink(), os.symlink("/dev/zero", t / annos)))

    def sparse(toolkit):             # 13 MB declared by the file system, no byte written
        with open(toolkit / annos, "r+b") as handle:
            handle.truncate(13_000_000)
    annotations("ground_truth_too_big", "refused unread", sparse)
    listing = "sequence_evaluation_config/testing_set.txt"
    annotations("split_list_twice", "listed twice",
                lambda t: (t / listing).write_text("\n".join(NAMES + ("airplane-1",)) + "\n"))
    annotations("split_list_leaves", "path separator",
                lambda t: (t / listing).write_text("../../airplane-1\n"))
    annotations("name_control_characters", "control character",
                lambda t: (t / listing).write_text("airplane\x1b[2J\r-1\n"))
    annotations("name_not_utf8", "not valid UTF-8", lambda t: (t / listing).write_bytes(b"airplane\xff-1\n"))
    annotations("name_is_html", "Windows", lambda t: (t / listing).write_text("<!--<script>\n"))
    annotations("absence_flag_two", "expected only 0, 1",
                lambda t: (t / "annos/absent/airplane-1.txt").write_text("2\n" * FRAMES))

    def pysot(name, edit, expect=REFUSED, needle=""):
        videos = json.loads(json.dumps(world.pysot))
        edit(videos)
        path = world.case(name) / "LaSOT.json"
        path.write_text(json.dumps(videos) if not isinstance(videos, str) else videos)
        add(world.evaluate(name, world.results, path), expect, needle)

    pysot("pysot_intact", lambda v: None, ACCEPTED)
    first = "airplane-1"
    pysot("pysot_absent_strings", lambda v: v[first].update(absent=[str(x) for x in v[first]["absent"]]),
          needle="absent must hold")
    pysot("pysot_absent_booleans", lambda v: v[first].update(absent=[bool(x) for x in v[first]["absent"]]),
          needle="absent must hold")
    pysot("pysot_box_strings", lambda v: v[first].update(gt_rect=[[str(x) for x in r] for r in v[first]["gt_rect"]]),
          needle="gt_rect must be")
    pysot("pysot_img_names_string", lambda v: v[first].update(img_names="airplane-1/img"), needle="img_names must")
    pysot("pysot_img_names_number", lambda v: v[first].update(img_names=7), needle="img_names must")
    pysot("pysot_attr_string", lambda v: v[first].update(attr="Illumination Variation"), needle="attr must be")
    pysot("pysot_attr_mathtext", lambda v: [record.update(attr=["$\\frac{1}{$", "$x^2$"]) for record in v.values()],
          ACCEPTED)
    pysot("pysot_name_leaves", lambda v: v.update({"../../../ESCAPED": v.pop(first)}), needle="path separator")
    deep = world.case("pysot_deep_nesting") / "LaSOT.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    add(world.evaluate("pysot_deep_nesting", world.results, deep), REFUSED, "nested too deeply")
    wide = world.case("pysot_too_many_values") / "LaSOT.json"
    wide.write_bytes(b"[" + b"[]," * 5_000_000 + b"[]]")       # 15 MB that would parse into 400 MB
    add(world.evaluate("pysot_too_many_values", world.results, wide), REFUSED, "more than 5,000,000 values")

    lasot = world.case("frames") / "LaSOT"
    frame_results = world.case("frames") / "T"
    for name, truth in world.expected.items():
        write_frames(lasot / name.rsplit("-", 1)[0] / name / "img", [f"{k:08d}.jpg" for k in range(1, FRAMES + 1)])
        for file in ("groundtruth.txt", "full_occlusion.txt", "out_of_view.txt"):
            source = world.inputs / "LaSOT" / name.rsplit("-", 1)[0] / name / file
            (lasot / name.rsplit("-", 1)[0] / name / file).write_bytes(source.read_bytes())
    (lasot / "testing_set.txt").write_text("\n".join(NAMES))
    copy_tree(world.results, frame_results)
    bomb = png_bomb(16384, 16384)
    for frame in lasot.glob("*/*/img/*.jpg"):
        if frame.name != "00000001.jpg":
            frame.write_bytes(bomb)
    add(world.evaluate("frames_too_large_for_thumbnails", frame_results, lasot), ACCEPTED, "",
        note="more than the")
    fifos = world.case("frame_fifos") / "LaSOT"
    for path in lasot.rglob("*"):
        if path.is_file():
            target = fifos / path.relative_to(lasot)
            target.parent.mkdir(parents=True, exist_ok=True)
            if path.suffix == ".jpg" and path.name != "00000001.jpg":
                fifo(target)
            else:
                target.write_bytes(path.read_bytes())
    add(world.evaluate("frames_are_fifos", frame_results, fifos), ACCEPTED, "", note="FIFO")

    names = world.got10k_test

    def submission(name, data, needle, expect=REFUSED):
        path = world.case(name) / "sub.zip"
        path.write_bytes(bytes(data))
        add({"id": name, "command": "submit", "cwd": str(world.case(name)), "timeout": 60, "cap_mb": 500,
             "argv": ["--dataset", "got10k_test", "--data-root", str(world.inputs / "GOT-10k"), "--check",
                      str(path)]}, expect, needle)

    runs = [(f"{n}/{n}_001.txt", b"1.0000,2.0000,3.0000,4.0000\n" * FRAMES) for n in names]
    runs += [(f"{n}/{n}_time.txt", b"0.01000000\n" * FRAMES) for n in names]
    member = f"{names[0]}/{names[0]}_001.txt"
    submission("submit_intact", zip_bytes(runs), "", ACCEPTED)
    submission("submit_bomb", patch_zip(zip_bytes(runs), member, usize=512 * MB), "declares 536,870,912")
    submission("submit_encrypted", patch_zip(zip_bytes(runs), member, flags=1), "encrypted")
    submission("submit_deflate64", patch_zip(zip_bytes(runs), member, method=9), "Deflate64")

    # reports: the folder is written as a whole, never through a link, one evaluation at a time
    results = world.case("reports_link") / "results"
    copy_tree(world.results, results / "T" / "lasot")
    (world.case("reports_link") / "elsewhere").mkdir()
    os.symlink(world.case("reports_link") / "elsewhere", results / "reports")
    add({"id": "reports_link", "command": "evaluate", "cwd": str(world.case("reports_link")), "timeout": 60,
         "cap_mb": 500, "argv": ["--dataset", "lasot", "--data-root", str(world.toolkit), "--results", str(results),
                                 "--trackers", "T"]}, REFUSED, "symbolic link")
    report = world.case("report") / "report"
    add(world.evaluate("report_first", world.results, None, "--pdf", report=report), ACCEPTED)
    add(world.evaluate("report_smaller", world.results, None, "--sequences", "airplane-1", report=report), ACCEPTED,
        "", smaller=True)
    add(world.evaluate("report_full", world.results, report=report), ACCEPTED)
    other = copy_tree(world.results, world.case("report_interrupted") / "B")
    interrupted = dict(world.evaluate("report_interrupted", other, report=report), patch="interrupt_report")
    interrupted["argv"][interrupted["argv"].index(f"T={other}")] = f"B={other}"
    add(interrupted, "interrupted", "interrupted")
    add(dict(world.evaluate("report_busy", world.results, report=report), patch="hold_report", report=str(report)),
        REFUSED, "another evaluation")
    add(dict(world.evaluate("report_figure_fails", world.results, report=report), patch="failing_figure"),
        REFUSED, "drawing the figure(s)")
    add(dict(world.evaluate("report_disk_full", world.results, report=report), fsize=20_000), "os-error",
        "File too large")
    foreign = world.case("report_foreign") / "mine"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("my own file\n")
    add(world.evaluate("report_foreign", world.results, report=foreign), REFUSED, "not a SimTrack report")
    dollar = copy_tree(world.results, world.case("tracker_name_mathtext") / "T")
    case = world.evaluate("tracker_name_mathtext", dollar)
    case["argv"][case["argv"].index(f"T={dollar}")] = f"T$x^2$={dollar}"
    add(case, ACCEPTED, "", score_of="T$x^2$")
    return cases


def model_cases(world):
    import torch

    from simtrack.checkpoints import save_checkpoint
    from simtrack.model import VARIANTS, build_model
    cases = []

    def add(name, command, argv, needle, timeout=120):
        cases.append(({"id": name, "command": command, "cwd": str(world.case(name)), "argv": argv,
                       "timeout": timeout, "cap_mb": 1500}, REFUSED, needle, {}))

    folder = world.case("checkpoints")
    plain = folder / "plain.pth"
    torch.save({"weight": torch.zeros(8 * MB // 4)}, plain)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(folder / "deflated.pth", "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info), zipfile.ZIP_DEFLATED)
    add("pth_deflated_storage", "convert", ["--checkpoint", str(folder / "deflated.pth"), "--out",
                                             str(folder / "out.safetensors")], "is compressed")
    tiny = save_checkpoint(build_model("tiny"), folder / "tiny.safetensors")

    def with_config(name, config):
        from safetensors import safe_open
        from safetensors.torch import save_file
        with safe_open(str(tiny), "pt") as handle:
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}
            metadata = dict(handle.metadata(), config=json.dumps(config))
        save_file(tensors, str(folder / name), metadata=metadata)
        return str(folder / name)

    giant = dict(VARIANTS["tiny"].to_dict(), embed_dim=16384, depth=96, num_heads=128)
    add("config_describes_giant_model", "convert", ["--checkpoint", with_config("giant.safetensors", giant), "--out",
                                                    str(folder / "out.safetensors")], "refused before building")
    add("config_value_wrong_type", "convert",
        ["--checkpoint", with_config("typed.safetensors", dict(VARIANTS["tiny"].to_dict(), embed_dim="128")),
         "--out", str(folder / "out.safetensors")], "embed_dim = '128'")
    recipes = world.case("recipes")
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + k)}: &{chr(98 + k)} [{', '.join(['*' + chr(97 + k)] * 9)}]\n" for k in range(8))
    (recipes / "laughs.yaml").write_text(laughs + "optim: {epochs: 1}\n")
    add("recipe_aliases", "train", ["--config", str(recipes / "laughs.yaml")], "alias")
    (recipes / "deep.yaml").write_text("data: {datasets: [{name: synthetic, split: " + "[" * 5000 + "]" * 5000 + "}]}\n")
    add("recipe_deep_nesting", "train", ["--config", str(recipes / "deep.yaml")], "nested deeper than 32")
    clip = world.case("track_fifo") / "clip"
    write_frames(clip, ["0001.jpg", "0002.jpg"])
    fifo(clip / "0003.jpg")
    add("track_frame_fifo", "track", [str(clip), "--box", "1,1,4,3", "--boxes", str(clip.parent / "boxes.txt")],
        "FIFO")
    big = world.case("track_big_frame") / "clip"
    write_frames(big, ["0001.jpg"])
    (big / "0002.png").write_bytes(png_bomb(16384, 16384))
    add("track_frame_too_large", "track", [str(big), "--box", "1,1,4,3", "--boxes", str(big.parent / "b.txt")],
        "refused before decoding")
    bundle = world.case("run_name_leaves") / "OTB100.json"
    video = {key: value for key, value in world.pysot["airplane-2"].items() if key != "absent"}
    bundle.write_text(json.dumps({"../../ESCAPED": video}))
    add("run_name_leaves", "run", ["--dataset", "otb100", "--data-root", str(bundle), "--results",
                                   str(bundle.parent / "results"), "--devices", "cpu"], "path separator")
    return cases


def replay(world, cases, name):
    spec = world.root / f"{name}.json"
    spec.write_text(json.dumps([case for case, *_ in cases]))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(TESTS)]), MPLBACKEND="Agg",
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    env.pop("SIMTRACK_DATA", None)
    done = subprocess.run([sys.executable, str(TESTS / "untrusted_driver.py"), str(spec)], capture_output=True,
                          text=True, env=env, timeout=600, cwd=world.root)
    assert done.returncode == 0, done.stderr[-3000:]
    (world.root / f"{name}.results.json").write_text(done.stdout)      # exit, output, seconds, memory per case
    return {result["id"]: result for result in map(json.loads, done.stdout.splitlines())}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return World(tmp_path_factory.mktemp("untrusted"))


@pytest.fixture(scope="module")
def scoring(world):
    cases = scoring_cases(world)
    before = snapshot(world.inputs)
    results = replay(world, cases, "scoring")
    assert snapshot(world.inputs) == before          # no input changed, nothing written among them
    return cases, results


@pytest.fixture(scope="module")
def model(world):
    cases = model_cases(world)
    return cases, replay(world, cases, "model")


def score(result, tracker="T"):
    """The first score of ``tracker``'s row of the printed summary."""
    for line in result["stdout"].splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] == tracker and len(cells) > 2:
            return cells[1:-1]
    return None


def check(case, expect, needle, checks, result, intact, peak_mb, progress=False):
    """A refusal is one line (after the progress lines a tracking command prints, with ``progress``)."""
    where = f"{case['id']}: exit {result['exit']}, stderr {result['stderr'][-600:]!r}"
    assert not result["timed_out"], where
    assert "Traceback" not in result["stderr"], where
    assert result["peak_mb"] < peak_mb, where
    lines = result["stderr"].strip().splitlines()
    if progress:
        lines = lines[-1:] if lines and lines[-1].startswith("error: ") else lines
    if expect == ACCEPTED:
        assert result["exit"] == 0, where
        if "note" in checks:
            assert len(lines) == 1 and lines[0].startswith("note: ") and checks["note"] in lines[0], where
        if case["command"] == "evaluate" and not checks.get("smaller"):
            assert score(result, checks.get("score_of", "T")) == score(intact), where
        return
    assert result["exit"] == {"os-error": 1, "interrupted": 130}.get(expect, 2), where
    assert len(lines) == 1, where
    assert lines[0].startswith("interrupted" if expect == "interrupted" else "error: "), where
    assert needle in lines[0], where
    assert "root:x:0" not in result["stderr"], where            # never quotes a file it refused


SCORING_IDS = ["zip_intact", "targz_intact", "tarxz_intact", "zip_declares_2gib", "zip_member_bomb",
               "zip_lies_about_its_size", "zip_unrelated_big_member", "zip_bad_crc", "zip_cut_short", "zip_deflate64",
               "zip_encrypted", "zip_duplicate_member", "zip_member_leaves", "zip_claims_many_members",
               "targz_member_bomb",
               "tarxz_member_too_big", "targz_many_members", "targz_bad_crc", "targz_cut_short", "tarxz_corrupt",
               "tar_duplicate_member", "tar_symlink_member", "folder_intact", "result_too_big", "result_is_dev_zero",
               "result_is_fifo", "time_file_is_fifo", "result_link_leaves", "result_link_inside",
               "time_file_cr_only", "result_empty_field", "result_not_utf8", "ground_truth_fifo",
               "ground_truth_dev_zero", "ground_truth_too_big", "split_list_twice", "split_list_leaves",
               "name_control_characters", "name_not_utf8", "name_is_html", "absence_flag_two", "pysot_intact",
               "pysot_absent_strings", "pysot_absent_booleans", "pysot_box_strings", "pysot_img_names_string",
               "pysot_img_names_number", "pysot_attr_string", "pysot_attr_mathtext", "pysot_name_leaves",
               "pysot_deep_nesting", "pysot_too_many_values", "frames_too_large_for_thumbnails",
               "frames_are_fifos", "submit_intact", "submit_bomb", "submit_encrypted", "submit_deflate64",
               "reports_link", "report_first", "report_smaller", "report_full", "report_interrupted", "report_busy",
               "report_figure_fails", "report_disk_full", "report_foreign", "tracker_name_mathtext"]


@pytest.mark.parametrize("case_id", SCORING_IDS)
def test_scoring_commands_refuse_or_score_as_intact(scoring, case_id):
    cases, results = scoring
    case, expect, needle, checks = next(entry for entry in cases if entry[0]["id"] == case_id)
    check(case, expect, needle, checks, results[case_id], results["folder_intact"], SCORING_PEAK_MB)


def test_the_catalogue_lists_every_case(scoring, model):
    assert [case["id"] for case, *_ in scoring[0]] == SCORING_IDS
    assert set(MODEL_IDS) == {case["id"] for case, *_ in model[0]}


MODEL_IDS = ["pth_deflated_storage", "config_describes_giant_model", "config_value_wrong_type", "recipe_aliases",
             "recipe_deep_nesting", "track_frame_fifo", "track_frame_too_large", "run_name_leaves"]


@pytest.mark.parametrize("case_id", MODEL_IDS)
def test_model_commands_refuse_in_one_line(model, case_id, world):
    cases, results = model
    case, expect, needle, checks = next(entry for entry in cases if entry[0]["id"] == case_id)
    result = results[case_id]
    check(case, expect, needle, checks, result, None, MODEL_PEAK_MB, progress=True)
    assert not list(world.root.rglob("*ESCAPED*"))


def test_reports_are_replaced_whole_and_kept_on_failure(scoring, world):
    _, results = scoring
    report = world.case("report") / "report"
    files = sorted(path.name for path in report.iterdir())
    manifest = json.loads((report / ".simtrack-report.json").read_text())
    assert manifest["files"] == [name for name in files if name != ".simtrack-report.json"]
    assert not list(report.glob("*.pdf"))                      # the --pdf report was replaced whole
    assert "attributes.csv" in files                           # by the full one, kept through every failure
    assert "| T |" in (report / "summary.md").read_text() and "| B |" not in (report / "summary.md").read_text()
    assert not [path for path in report.parent.iterdir() if path.name.endswith(".partial")]
    smaller = results["report_smaller"]
    assert smaller["exit"] == 0 and "airplane-13" not in smaller["stdout"]
    assert (world.case("report_foreign") / "mine" / "thesis.tex").read_text() == "my own file\n"
    assert not list((world.case("reports_link") / "elsewhere").iterdir())
    page = (world.case("tracker_name_mathtext") / "report" / "report.html").read_text()
    assert "T$x^2$" in page and (world.case("tracker_name_mathtext") / "report" / "success.png").stat().st_size
    assert (world.case("pysot_attr_mathtext") / "report" / "attributes.png").stat().st_size


def test_a_report_folder_appears_whole_or_not_at_all(tmp_path):
    import fcntl

    from benchmarks.reports.folder import MANIFEST, ReportFolder
    from simtrack.errors import ReportError
    with pytest.raises(OSError), ReportFolder(tmp_path / "r") as staging:     # a first report fails half way
        (staging / "a.txt").write_text("1")
        raise OSError(28, "No space left on device")
    assert not list(tmp_path.iterdir())                                      # no folder, no manifest left
    with ReportFolder(tmp_path / "r") as staging:
        (staging / "a.txt").write_text("1")
    held = os.open(tmp_path / "r" / MANIFEST, os.O_RDWR)                    # another evaluation is writing
    fcntl.flock(held, fcntl.LOCK_EX)
    with pytest.raises(ReportError, match="another evaluation"), ReportFolder(tmp_path / "r"):
        pass
    os.close(held)
    with pytest.raises(KeyboardInterrupt), ReportFolder(tmp_path / "r") as staging:
        (staging / "b.txt").write_text("2")
        raise KeyboardInterrupt
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == [MANIFEST, "a.txt"]
    with ReportFolder(tmp_path / "r") as staging:
        (staging / "b.txt").write_text("2")
    assert sorted(p.name for p in tmp_path.rglob("*")) == [MANIFEST, "b.txt", "r"]


def test_a_fifo_result_file_is_refused_by_the_real_command(world, tmp_path):
    """The console door itself, in a real process under a memory cap: one line, exit 2, no hang."""
    results = copy_tree(world.results, tmp_path / "T", skip=("airplane-1.txt",))
    fifo(results / "airplane-1.txt")
    code = ("import resource, runpy, sys; resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20)); "
            "sys.argv[0] = 'evaluate'; runpy.run_module('benchmarks.evaluate', run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", code, "--dataset", "lasot", "--data-root", str(world.toolkit),
                           "--trackers", f"T={results}", "--report-dir", str(tmp_path / "report")],
                          capture_output=True, text=True, timeout=60, cwd=REPO,
                          env=dict(os.environ, PYTHONPATH=str(REPO), MPLBACKEND="Agg"))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "airplane-1.txt is a FIFO (named pipe), not a regular file; refused unread" in done.stderr


# ------------------------------------------------------------------ property-based fuzz of the readers

NUMBERS = st.one_of(
    st.integers(-10 ** 20, 10 ** 20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(-1e6, 1e6).map(lambda x: f"{x:.4f}"),
    st.floats(-1e6, 1e6).map(lambda x: f"{x:.17g}"),
    st.sampled_from(["-0", "-0.0", ".5", "5.", "007", "1_000", "NaN", "nan", "-inf", "1e5", "-.5", "+3"]))
SEPARATORS = st.sampled_from([",", ", ", "\t", " ", ";", "  ", " , "])
LINE_ENDS = st.sampled_from(["\n", "\r\n", "\r"])
JUNK = st.sampled_from(["", "", "", ",", ",,", "\x0b", "\x0c", "\x85", "\xa0", "\u2028", "\u3000", "-", ".", "e",
                        "_", "\x00", "x", "\ufeff"])


def reference(text, columns):
    """What a table must parse to, or None when it must be refused: lines end at CRLF, CR or LF;
    fields are separated by one comma or semicolon (spaces around it allowed) or by spaces and tabs;
    a trailing comma is dropped; every field is printable ASCII that ``float()`` reads."""
    rows = []
    for line in re.split(r"\r\n|\r|\n", text.lstrip("\ufeff")):
        line = line.strip(" \t")
        if not line:
            continue
        fields = re.split(r"[ \t]*[,;][ \t]*|[ \t]+", line)
        if len(fields) > 1 and fields[-1] == "":
            fields.pop()
        try:
            if not all(f.isascii() and f.isprintable() for f in fields):
                return None
            rows.append([float(f) for f in fields])
        except ValueError:
            return None
    widths = {len(row) for row in rows}
    if len(widths) > 1 or (columns and widths and widths != {columns}):
        return None
    return rows


@st.composite
def tables(draw, columns=None):
    width = columns or draw(st.integers(1, 5))
    lines = [draw(SEPARATORS).join(draw(NUMBERS) for _ in range(width)) for _ in range(draw(st.integers(0, 6)))]
    if lines and draw(st.booleans()):                                   # one junk insertion somewhere
        index = draw(st.integers(0, len(lines) - 1))
        at = draw(st.integers(0, len(lines[index])))
        lines[index] = lines[index][:at] + draw(JUNK) + lines[index][at:]
    ending = draw(LINE_ENDS)
    text = ending.join(lines) + (ending if draw(st.booleans()) else "")
    data = text.encode("utf-8")
    if draw(st.booleans()) and data:                                     # a stray byte that is not UTF-8
        at = draw(st.integers(0, len(data)))
        data = data[:at] + b"\xff" + data[at:]
    return data


def same_as_reference(data, columns, error):
    try:
        parsed = parse_table(data, columns, "fuzz", error)
    except error:
        return                                                # refusing is always allowed
    try:
        expected = reference(data.decode("utf-8"), columns)
    except UnicodeDecodeError:
        expected = None
    assert expected is not None, f"accepted {data!r}: {parsed.tolist()}"
    assert parsed.shape[0] == len(expected) and (not expected or parsed.shape[1] == len(expected[0])), data
    assert np.array_equal(parsed.view(np.int64), np.array(expected, dtype=np.float64).reshape(parsed.shape)
                          .view(np.int64)), data              # bit for bit, NaN and -0.0 included


FUZZ = settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


@FUZZ
@given(tables(columns=4))
@example(b"1,,2,3,4\n")
@example(b"1,2,3,4,\n5,6,7,8,\n")
@example(b"-0.0,7,10,1\r-0.0,7,10,1\r")
@example(b"1\xa02,3,4\n")
def test_result_files_parse_as_float_reads_them_or_are_refused(data):
    same_as_reference(data, 4, ResultsError)


@FUZZ
@given(tables())
@example(b"-0.0\r7\r10\r")
@example(b"0.01\r\n0.02\r\n")
def test_time_files_and_ground_truth_parse_as_float_reads_them_or_are_refused(data):
    same_as_reference(data, None, DatasetError)


@FUZZ
@given(st.lists(st.sampled_from(["0", "1", "2", "0.5", "nan", "-1", "01", " 1", "1 "]), max_size=8),
       st.sampled_from([",", "\n", "\r\n", "\r", " "]))
def test_flag_files_hold_zeros_and_ones_only(tmp_path_factory, values, separator):
    path = tmp_path_factory.mktemp("flags") / "absent.txt"
    path.write_text(separator.join(values))
    from simtrack.data.files import read_numbers
    try:
        flags = read_numbers(path, allowed=range(2))
    except DatasetError:
        return
    assert set(flags.tolist()) <= {0, 1}
    assert flags.tolist() == [int(float(value)) for value in values]
    assert parse_numbers(separator.join(values).encode(), "flags").tolist() == [float(v) for v in values]


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=4),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                         max_size=3), max_leaves=6)
KEYS = ("video_dir", "init_rect", "img_names", "gt_rect", "attr", "absent")


@st.composite
def pysot_records(draw):
    """An intact record with one key removed, replaced by any JSON value, or one element mistyped."""
    frames = draw(st.integers(1, 4))
    record = {"video_dir": "v", "init_rect": [1, 2, 3, 4], "img_names": [f"v/{k}.jpg" for k in range(frames)],
              "gt_rect": [[1, 2, 3, 4.5]] * frames, "attr": ["Occlusion"], "absent": [1] * frames}
    key = draw(st.sampled_from(KEYS))
    change = draw(st.sampled_from(["remove", "replace", "element", "none"]))
    if change == "remove":
        record.pop(key)
    elif change == "replace":
        record[key] = draw(JSON_VALUES)
    elif change == "element" and isinstance(record[key], list) and record[key]:
        record[key] = list(record[key])
        record[key][draw(st.integers(0, len(record[key]) - 1))] = draw(JSON_VALUES)
    return record


@FUZZ
@given(pysot_records(), st.sampled_from(["v", "../../x", "a\x00b", "", "ok name", "<b>"]))
def test_pysot_records_are_typed_key_by_key(tmp_path_factory, record, name):
    path = tmp_path_factory.mktemp("pysot") / "OTB100.json"
    path.write_text(json.dumps({name: record}))
    from simtrack.data import load_dataset
    try:
        (sequence,) = load_dataset("otb100", root=path, frames_required=False)
    except DatasetError:
        return
    assert sequence.name == name == "v" or name == "ok name"
    assert all(type(value) in (int, float) for row in record["gt_rect"] for value in row)
    assert all(type(flag) is int and flag in (0, 1) for flag in record.get("absent", []))
    assert sequence.boxes.shape == (len(record["gt_rect"]), 4)
    assert set(sequence.attributes) == {pysot_json._ATTRIBUTE_NAMES.get(attr.lower(), attr)
                                        for attr in record.get("attr") or []}
    assert pysot_json.check_record(record, "fuzz") is None
