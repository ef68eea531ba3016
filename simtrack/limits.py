"""How big each untrusted input may sensibly be, and the numbers each limit derives from.

Result folders, archives, annotation bundles, frames, checkpoints and recipes arrive as downloads.
Every reader checks its input against the limit here *before* it reads, decompresses, parses or
allocates (``stat`` size, archive directory, image or checkpoint header), so a hostile file is
refused in one line instead of filling the memory. Each limit is what the largest legitimate input
can hold, with room to spare; docs/evaluation.md ("Limits") lists them with the same derivations.
Torch-free: scoring imports it.
"""
MIB = 1 << 20

# ------------------------------------------------------------------ text tables (boxes, times, flags)
# A result line is at most four full-precision floats in exponent form ("-1.2345678901234567e+03",
# 23 characters) + 3 separators + CRLF = 97 bytes; our runner's "%.4f" lines are 34 (35 at most
# over 280 x 2,500 frames), pytracking's tab-separated integers 12-20. A time line of ten runs
# (got10k writes one column per run) of "%.8f" seconds is 10 x 11 + 9 separators + CRLF = 121 bytes.
BYTES_PER_LINE = 128
TABLE_SLACK = 4096                # a BOM, blank lines, a header comment some tools add
# The longest video of any benchmark we read: LaSOT's is 11,397 frames (LaSOT paper), NfS and TNL2K
# are shorter; ~9x that is the length assumed where a file's own sequence length is not known (ground
# truth, test sequences read without frames).
MAX_SEQUENCE_FRAMES = 100_000
LONGER_FACTOR = 2                 # protocols that cut longer result files (LaSOT MATLAB, pytracking) read up to 2x
BYTES_PER_NUMBER = 24             # flat lists (absence flags, cover levels, attribute flags): one number + separator
# Split lists and list.txt: the longest is TrackingNet's training set, 30,132 names (~20 bytes each).
MAX_LIST_NAMES = 100_000

# ------------------------------------------------------------------ names (become file names)
# NAME_MAX is 255 bytes; "_time.txt" and atomic writes' ".<name>.<8 hex>.partial" need 28 of them.
# The longest real sequence names are TNL2K's (~60 characters).
MAX_NAME_BYTES = 200

# ------------------------------------------------------------------ results archives
MAX_RUNS = 10                     # --repeat / got10k's _001.._010: no protocol runs a tracker more often
FILES_PER_RUN = 3                 # boxes, time file, got10k's per-sequence folder entry
# A tracker's raw results for every benchmark in one archive (pytracking and pysot publish them so):
# ~2,000 files per run, x 10 runs.
OTHER_MEMBERS = 20_000
OTHER_BYTES = 64 * MIB            # READMEs, other datasets' folders in a shared archive
# Tar members are decompressed in one pass and kept in memory until scored: 256 MiB is ~7.5 M result
# lines (3,000 LaSOT-length sequences) and keeps a hostile archive under the 500 MB that a scoring
# command may use (a normal LaSOT evaluation peaks at ~175 MB). Zip members are read one at a time.
MAX_ARCHIVE_TEXT = 256 * MIB
ARCHIVE_TAIL = 1 * MIB            # bytes after a tar's end-of-archive blocks (records pad to 10 KiB)
# A zip's central directory entry is a 46-byte header, the member's path (a result file's is under
# 100 bytes: "<tracker>/<dataset>/<sequence>_time.txt"), its extra fields (zip64 sizes 28, timestamps
# 13, Unix ids 15, a Unicode copy of the path) and a comment (zip tools write none): ~150 bytes. The
# directory's size over its entry count may reach 1 KiB; more is not a results archive, and bounds
# the entries zipfile parses (46 bytes at least each) to 22 per member the end record declares.
ZIP_ENTRY_BYTES = 1024

# ------------------------------------------------------------------ frames
# Tracking: 8K video is 7680 x 4320 = 33 Mpx; a decode of 8192 x 8192 costs 201 MB, twice with the
# RGB copy. Thumbnails in report.html (a scoring command, four decodes at once): 4K UHD (3840 x 2160)
# with room, 30 MB per decode; a larger frame loses its thumbnail, never the report.
MAX_FRAME_PIXELS = 8192 * 8192
MAX_THUMBNAIL_PIXELS = 4096 * 2560
# An encoded frame is smaller than its raw pixels: 8K RGB is 100 MB raw, a natural 8K PNG ~50 MB.
MAX_FRAME_BYTES = 128 * MIB

# ------------------------------------------------------------------ JSON (pysot bundles, records)
# pysot's largest file, LaSOT.json (280 videos, 685,360 frames: an image name, a 4-number box and an
# absence flag per frame, ~55 bytes and 6 values) is ~40 MB and 4.1 M values. A parsed value costs up
# to ~80 bytes of Python objects (an empty list: 56 + its pointer), 5-15x its text, so the value cap
# (4.1 M x 1.2) is what keeps a hostile file under the scoring budget: at most ~400 MB.
MAX_JSON_BYTES = 128 * MIB
MAX_JSON_VALUES = 5_000_000
MAX_RECORD_BYTES = 1 * MIB        # provenance records and manifests: a few KB

# ------------------------------------------------------------------ recipes (training YAML)
# Shipped recipes are 4 levels deep (data.datasets[i].split[j]) and use no alias.
MAX_RECIPE_BYTES = 1 * MIB
MAX_RECIPE_DEPTH = 32

# ------------------------------------------------------------------ checkpoints
# Model configs from a file: ints of a ViT (widths, depths, sizes) stay below 65,536; the parameter
# count, computed on the meta device before anything is allocated, may exceed the largest variant's
# (l14: 306.7 M) by half (CLIP text towers, optimiser state are other tensors of the file).
MAX_CONFIG_INT = 1 << 16
PARAMS_MARGIN = 1.5
CHECKPOINT_BYTES_MARGIN = 4       # a training checkpoint: weights + two Adam moments + slack

# ------------------------------------------------------------------ exported models (.onnx)
# simtrack.export writes one protobuf message without external data, and protobuf serialises at
# most 2 GiB (l14 in fp32: 1.2 GB). Its metadata holds the template step as base64 (l14: about
# 15 MB) and a few short facts; a ModelProto has a handful of top-level fields.
MAX_ONNX_BYTES = 2 << 30
MAX_ONNX_METADATA_BYTES = 64 * MIB
MAX_ONNX_FIELDS = 10_000
# A cached TensorRT engine holds the per-frame step's weights (at most the .onnx file's, fp32) and the
# kernels chosen for them: twice the largest exported model.
MAX_TENSORRT_ENGINE_BYTES = 2 * MAX_ONNX_BYTES


def table_bytes(frames, longer=False):
    """Most bytes a table of ``frames`` lines may have (None: a sequence of unknown length)."""
    lines = MAX_SEQUENCE_FRAMES if frames is None else frames
    return lines * (LONGER_FACTOR if longer else 1) * BYTES_PER_LINE + TABLE_SLACK


def ground_truth_bytes():
    """An annotation table: its length is only known once read, so the longest video counts."""
    return table_bytes(MAX_SEQUENCE_FRAMES)


def number_list_bytes():
    return MAX_SEQUENCE_FRAMES * BYTES_PER_NUMBER + TABLE_SLACK


def list_bytes():
    """Split lists, list.txt, meta_info.ini, a sentence."""
    return MAX_LIST_NAMES * (MAX_NAME_BYTES + 2)


def archive_member_count(sequences):
    """Members a results archive for ``sequences`` sequences may list."""
    return FILES_PER_RUN * max(1, sequences) * MAX_RUNS + OTHER_MEMBERS


def archive_text_bytes(frame_counts, longer=False):
    """Decompressed bytes a results archive may hold: every run's boxes and times of every sequence."""
    needed = sum(2 * table_bytes(frames, longer) for frames in frame_counts) * MAX_RUNS
    return min(MAX_ARCHIVE_TEXT, needed + OTHER_BYTES)
