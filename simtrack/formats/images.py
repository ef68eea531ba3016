"""Reading frames and checking the images given to the tracker (RGB uint8, H x W x 3).

OpenCV decodes a JPEG that was cut short without an error: the missing rows come back grey and
libjpeg only prints "Premature end of JPEG file". Tracking such a frame gives boxes that look fine
and are wrong, so ``read_image`` checks a JPEG's segment structure before decoding it: the markers
must chain from start-of-image through every scan to the end-of-image marker. PNG, BMP and WebP
decoders already refuse truncated files; a PNG's chunk chain is checked all the same because it
is as cheap. ``benchmarks/perf/frame_check.py`` measures the cost (docs/running.md quotes it).

Frames are downloads too: a frame is read only when it is a regular file (a FIFO would block the
read forever) of at most ``limits.MAX_FRAME_BYTES``, and its width and height are taken from its
header before any decoder allocates them: a 256 KB PNG can declare 16384 x 16384 pixels (800 MB
decoded). Frames above ``limits.MAX_FRAME_PIXELS`` are refused.
"""
import os
import re
import struct

import cv2
import numpy as np

from ..errors import TrackerInputError
from ..limits import MAX_FRAME_BYTES, MAX_FRAME_PIXELS
from .regular_files import read_regular

_JPEG_START = b"\xff\xd8"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The marker that ends a scan's entropy-coded data: 0xFF followed by anything but a stuffed 0x00,
# a fill byte 0xFF or a restart marker 0xD0-0xD7 (those belong to the scan).
_SCAN_END = re.compile(rb"\xff[^\x00\xff\xd0-\xd7]")
_END_OF_IMAGE, _START_OF_SCAN, _TEM = 0xD9, 0xDA, 0x01
_FIX = "re-extract or re-download the frame"
# Decoding straight to RGB saves a full pass over every frame; None in older OpenCV (4.8: then BGR is
# decoded and converted). The pixels are the same both ways (tests/test_images.py, every format).
_IMREAD_RGB = getattr(cv2, "IMREAD_COLOR_RGB", None)


def jpeg_problem(data):
    """Why ``data`` (starting with the JPEG start-of-image marker) is not a whole JPEG, or None.

    Walks the segments by their lengths (so thumbnails inside APP segments are skipped), scans each
    scan's entropy-coded data for the marker that ends it and requires the end-of-image marker.
    Bytes after that marker are ignored, as decoders ignore them.
    """
    position, end, scans = 2, len(data), 0
    while True:
        if position >= end:
            return "is truncated: the file ends before the JPEG end-of-image marker"
        if data[position] != 0xFF:
            return f"is corrupt: no JPEG marker at byte {position} (found 0x{data[position]:02x})"
        while position < end and data[position] == 0xFF:   # fill bytes may precede a marker
            position += 1
        if position >= end:
            return "is truncated: the file ends before the JPEG end-of-image marker"
        code = data[position]
        position += 1
        if code == _END_OF_IMAGE:
            return None if scans else "is corrupt: the JPEG ends before any image data"
        if code == _TEM or 0xD0 <= code <= 0xD7:
            continue                                        # markers without a length
        if code < 0xC0 or code == 0xD8:
            return f"is corrupt: invalid JPEG marker 0xff{code:02x} at byte {position - 2}"
        if position + 2 > end:
            return "is truncated: the file ends inside a JPEG segment header"
        length = int.from_bytes(data[position:position + 2], "big")
        if length < 2:
            return f"is corrupt: JPEG segment 0xff{code:02x} at byte {position - 2} has length {length}"
        position += length
        if position > end:
            return f"is truncated: the file ends inside JPEG segment 0xff{code:02x}"
        if code == _START_OF_SCAN:
            scans += 1
            found = _SCAN_END.search(data, position)
            if found is None:
                return "is truncated: the file ends inside the JPEG image data"
            position = found.start()


def png_problem(data):
    """Why ``data`` (starting with the PNG signature) is not a whole PNG, or None: the chunk chain
    must reach the IEND chunk."""
    position, end = len(_PNG_SIGNATURE), len(data)
    while position + 8 <= end:
        length = int.from_bytes(data[position:position + 4], "big")
        kind = data[position + 4:position + 8]
        position += 12 + length                              # length, type, data, CRC
        if position > end:
            break
        if kind == b"IEND":
            return None
    return "is truncated: the file ends before the PNG IEND chunk"


def frame_problem(data):
    """Why the encoded frame ``data`` cannot be trusted, or None (formats other than JPEG and PNG:
    None, their decoders refuse truncated files)."""
    if not data:
        return "is empty"
    if data.startswith(_JPEG_START):
        return jpeg_problem(data)
    if data.startswith(_PNG_SIGNATURE):
        return png_problem(data)
    return None


def image_size(data):
    """``(width, height)`` from the header of an encoded PNG, JPEG, BMP, WebP or TIFF image, or None
    for another format or a header that cannot be read (nothing is decoded)."""
    try:
        if data.startswith(_PNG_SIGNATURE):
            return struct.unpack(">II", data[16:24]) if data[12:16] == b"IHDR" else None
        if data.startswith(_JPEG_START):
            return _jpeg_size(data)
        if data.startswith(b"BM"):
            width, height = struct.unpack("<ii", data[18:26])
            return abs(width), abs(height)                      # a negative height: rows top-down
        if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
            return _webp_size(data)
        if data[:4] in (b"II*\0", b"MM\0*"):
            return _tiff_size(data)
    except (struct.error, IndexError, ValueError):
        return None
    return None


def _jpeg_size(data):
    """Walk the segments by their lengths to the first start-of-frame marker."""
    position = 2
    while position + 9 <= len(data):
        while data[position] == 0xFF and data[position + 1] == 0xFF:     # fill bytes
            position += 1
        if data[position] != 0xFF:
            return None
        code = data[position + 1]
        if code == _TEM or 0xD0 <= code <= 0xD8:
            position += 2
            continue
        if 0xC0 <= code <= 0xCF and code not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[position + 5:position + 9])
            return width, height
        if code in (_END_OF_IMAGE, _START_OF_SCAN):
            return None
        position += 2 + int.from_bytes(data[position + 2:position + 4], "big")
    return None


def _webp_size(data):
    kind, body = data[12:16], data[20:30]
    if kind == b"VP8X":
        return 1 + int.from_bytes(body[4:7], "little"), 1 + int.from_bytes(body[7:10], "little")
    if kind == b"VP8L":
        bits = int.from_bytes(body[1:5], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if kind == b"VP8 ":
        width, height = struct.unpack("<HH", body[6:10])
        return width & 0x3FFF, height & 0x3FFF
    return None


def _tiff_size(data):
    """ImageWidth (256) and ImageLength (257) of the first image file directory."""
    order = "<" if data[:2] == b"II" else ">"
    (offset,) = struct.unpack(order + "I", data[4:8])
    (count,) = struct.unpack(order + "H", data[offset:offset + 2])
    sizes = {}
    for entry in range(min(count, 512)):
        tag, kind, _, value = struct.unpack(order + "HHI4s", data[offset + 2 + 12 * entry:offset + 14 + 12 * entry])
        if tag in (256, 257):
            sizes[tag] = struct.unpack(order + ("H" if kind == 3 else "I"), value[:2 if kind == 3 else 4])[0]
    return (sizes[256], sizes[257]) if len(sizes) == 2 else None


def pixel_problem(data, max_pixels):
    """Why the encoded frame ``data`` must not be decoded (its header declares more than ``max_pixels``
    pixels, or cannot be read), or None."""
    size = image_size(data)
    if size is None:
        return ("cannot be decoded as an image: it has no PNG, JPEG, BMP, WebP or TIFF header, so its size is "
                "unknown; convert it to JPEG or PNG")
    width, height = size
    if width * height > max_pixels:
        return (f"is {width} x {height} pixels, more than the {max_pixels:,} a frame may have (8K video is "
                "7680 x 4320); refused before decoding")
    return None


def read_frame_bytes(path, error=TrackerInputError):
    """The encoded bytes of frame ``path``: a regular file of at most ``MAX_FRAME_BYTES``.

    A path that is not there at all is named the short way; the check is made only once reading
    failed, not for every frame.
    """
    try:
        return read_regular(path, MAX_FRAME_BYTES, "frame", error, "an 8K frame as a PNG is ~50 MB")
    except error:
        if not os.path.lexists(path):
            raise error(f"frame {path} does not exist") from None
        raise


def read_image(path, max_pixels=MAX_FRAME_PIXELS):
    """Read an image file as an RGB uint8 array, verified: raises TrackerInputError naming the frame
    when it is missing, not a regular file, unreadable, truncated, corrupt or too large to decode."""
    data = read_frame_bytes(path)
    problem = frame_problem(data)
    if problem is not None:
        raise TrackerInputError(f"frame {path} {problem}; {_FIX}")
    problem = pixel_problem(data, max_pixels)
    if problem is not None:
        raise TrackerInputError(f"frame {path} {problem}")
    encoded = np.frombuffer(data, dtype=np.uint8)
    image = cv2.imdecode(encoded, cv2.IMREAD_COLOR if _IMREAD_RGB is None else _IMREAD_RGB)
    if image is None:
        raise TrackerInputError(f"frame {path} cannot be decoded as an image; {_FIX}")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB) if _IMREAD_RGB is None else image


class FrameSize:
    """Checks that the frames of one sequence, given in order, all have the first frame's size.

    A frame of another size is a file from another video or a damaged one; tracking on would map
    boxes into the wrong coordinates.
    """

    def __init__(self):
        self.first = None

    def check(self, image, path):
        """Return ``image``; raises TrackerInputError when its size differs from the first frame's."""
        height, width = image.shape[:2]
        if self.first is None:
            self.first = (width, height)
        elif (width, height) != self.first:
            raise TrackerInputError(f"frame {path} is {width}x{height} pixels but the sequence's first frame is "
                                    f"{self.first[0]}x{self.first[1]}; replace it with the sequence's own frame")
        return image


def as_rgb_uint8(image):
    """Return ``image`` as an H x W x 3 uint8 RGB array, converting only where the meaning is clear.

    Grayscale (H x W or H x W x 1) is replicated to three channels and RGBA drops its alpha.
    Other dtypes (16-bit, float) are refused: their value range is ambiguous.
    """
    if not isinstance(image, np.ndarray):
        raise TrackerInputError(f"image must be a numpy array (H x W x 3 uint8 RGB), got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise TrackerInputError(
            f"image must be uint8 RGB, got dtype {image.dtype}; scale it to 0..255 and convert with "
            f"image.astype(np.uint8) yourself (the value range of {image.dtype} images is ambiguous)")
    if image.ndim == 2:
        image = image[:, :, None]
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4) or min(image.shape[:2]) < 1:
        raise TrackerInputError(f"image must be H x W x 3 (RGB), got shape {image.shape}")
    if image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    elif image.shape[2] == 4:
        image = image[:, :, :3]
    return image
