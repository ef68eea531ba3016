"""The one owner of the ``x,y,w,h`` text tables: ground truth, tracker results, per-frame times, submissions.

Reading accepts what benchmarks and toolkits write: commas, tabs, spaces or semicolons between
numbers (mixed too, one comma or semicolon at most between two numbers: ``1,,2,3,4`` would shift the
columns, so it is refused; a trailing one is ignored), integers or floats, ``NaN`` rows, LF, CRLF or
CR line ends, blank lines and a UTF-8 BOM. A number is what ``float()`` reads from printable ASCII.
Files are read only when they are regular files no larger than the caller's cap
(``simtrack.limits``: one line per frame of the sequence). Writing produces what our runner and the benchmark servers expect: comma-separated numbers,
one line per frame. Each caller says which error type a bad file raises (``DatasetError`` for
annotations, ``ResultsError`` for results), and every message names the file and the line.

Parsing is vectorised: plain decimal numbers (what nearly every file holds) are decoded with numpy
over the file's bytes, giving exactly what ``float()`` gives, several times faster than
``np.loadtxt``; anything else (exponents, NaN, non-ASCII text) takes a line-by-line path that also
finds the first bad line for the message.
"""
import io
import re

import numpy as np

from ..errors import ResultsError
from ..limits import BYTES_PER_LINE, ground_truth_bytes
from .regular_files import read_regular

BOX_TABLE = "one 'x,y,w,h' line per frame, the first frame included (commas, tabs or spaces)"
BOX_PRINTF = "%.4f"          # results and submissions: boxes
SECONDS_PRINTF = "%.8f"      # per-frame times
_BOM = b"\xef\xbb\xbf"
_MAX_DIGITS = 15             # a mantissa of up to 15 digits is exact in float64
_SPACE, _COMMA, _NEWLINE, _DIGIT, _DOT, _MINUS, _OTHER = range(7)
_CLASSES = np.full(256, _OTHER, dtype=np.uint8)
_CLASSES[[ord(c) for c in " \t"]] = _SPACE
_CLASSES[[ord(c) for c in ",;"]] = _COMMA
_CLASSES[[ord(c) for c in "\r\n"]] = _NEWLINE      # CR alone ends a line too (old Mac tools); CRLF gives a blank line
_CLASSES[ord("0"):ord("9") + 1] = _DIGIT
_CLASSES[ord(".")] = _DOT
_CLASSES[ord("-")] = _MINUS
_CLASS_TABLE = _CLASSES.tobytes()   # bytes.translate maps every byte to its class in one C pass
_POWERS = 10.0 ** np.arange(_MAX_DIGITS + 1)
_EXACT_MANTISSA = 2 ** 53    # integers below this are exact in float64
_TO_SPACES = bytes.maketrans(b",;\t\r\n", b"     ")
_NEGATIVE_ZERO = re.compile(rb"-[0.]*(?![0-9.])")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_FIELD_SEPARATOR = re.compile(r"[ \t]*[,;][ \t]*|[ \t]+")


def _expected(columns):
    if columns == 4:
        return "4 numbers x,y,w,h separated by commas, tabs or spaces"
    if columns:
        return f"{columns} numbers separated by commas, tabs or spaces"
    return "the same count of numbers on every line, separated by commas, tabs or spaces"


def parse_table(data, columns=None, source="table", error=ResultsError):
    """Rows of numbers from the bytes or text of a table file, as a float64 (K, C) array.

    ``columns`` fixes C (4 for boxes); None accepts any count that is the same on every line.
    A file with no numbers gives shape (0, columns or 1).
    """
    raw = _table_bytes(data)
    parsed = _parse_plain_decimals(raw)
    if parsed is not None:
        values, per_line = parsed
        filled = per_line[per_line > 0]
        width = columns or (int(filled[0]) if len(filled) else 1)
        if np.all(filled == width):
            return values.reshape(len(filled), width)
    return _parse_lines(raw.decode("utf-8", errors="replace"), columns, source, error)


def parse_numbers(data, source="list", error=ResultsError):
    """All numbers of a flat list file (one per line or all on one line), as a float64 array."""
    raw = _table_bytes(data)
    digits = _single_digits(raw)
    if digits is not None:
        return digits
    parsed = _parse_plain_decimals(raw)
    if parsed is not None:
        return parsed[0]
    text = raw.decode("utf-8", errors="replace")
    tokens = [token for line in _LINE_BREAK.split(text) for token in _fields(line)]
    for token in tokens:
        if not _is_number(token):
            raise error(f"{source}: expected numbers separated by commas or whitespace, found {token[:20]!r}")
    return np.array(tokens, dtype=np.float64)


def _table_bytes(data):
    """The bytes of a table given as bytes or text, without the UTF-8 BOM some editors write first."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return raw[len(_BOM):] if raw.startswith(_BOM) else raw


def read_bytes(path, what, error=ResultsError, cap=None, why=""):
    """The bytes of a table file of at most ``cap`` bytes (default: ground truth of the longest video);
    a missing, unreadable, oversized or non-regular file raises ``error`` naming ``what``."""
    if cap is None:
        cap, why = ground_truth_bytes(), f"the longest video x {BYTES_PER_LINE} bytes per line"
    return read_regular(path, cap, what, error, why)


def read_table(path, columns=None, what="table", error=ResultsError, cap=None, why=""):
    """``parse_table`` of a file (of at most ``cap`` bytes, ``why`` that cap: see ``read_bytes``)."""
    return parse_table(read_bytes(path, what, error, cap, why), columns, str(path), error)


def read_boxes(path, what="box file", error=ResultsError, cap=None, why=""):
    """The (K, 4) ``x, y, w, h`` rows of a ground-truth or result file."""
    return read_table(path, 4, what, error, cap, why)


def format_table(values, printf):
    """Comma-separated lines of ``values`` ((K, C) or (K,)) in ``printf`` format, as bytes."""
    array = np.asarray(values, dtype=np.float64)
    buffer = io.BytesIO()
    np.savetxt(buffer, array[:, None] if array.ndim == 1 else array, fmt=printf, delimiter=",")
    return buffer.getvalue()


def format_boxes(boxes):
    return format_table(np.asarray(boxes, dtype=np.float64).reshape(-1, 4), BOX_PRINTF)


def format_seconds(seconds):
    """One line per frame; a (K, R) array gives one column per run."""
    return format_table(seconds, SECONDS_PRINTF)


def strict_table_problems(data, name, frames, columns=None):
    """What keeps ``data`` from being a server-ready table: ``frames`` lines of exactly ``columns``
    finite comma-separated numbers (blank lines ignored). Returns a list of problems (empty: fine)."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    lines = [line for line in text.splitlines() if line.strip()]
    problems = []
    if len(lines) != frames:
        problems.append(f"{name}: {len(lines)} lines for a sequence of {frames} frames (one line per frame, "
                        "the first frame included)")
    expected = f"{columns} comma-separated numbers" if columns else "comma-separated numbers"
    width = columns
    for number, line in enumerate(lines, 1):
        fields = line.split(",")
        values = [float(field) for field in fields if _is_number(field)]
        width = width or len(fields)
        if len(values) != len(fields) or len(values) != width or not np.isfinite(values).all():
            problems.append(f"{name}: line {number} is {line.strip()[:60]!r}; expected {expected}, all finite")
            break
    return problems


def _single_digits(raw):
    """Flag files (``0,1,1`` or one digit per line): every other byte a digit, the rest one separator
    or newline each. Their values at the cost of one strided view; None for any other layout."""
    values = np.frombuffer(raw, dtype=np.uint8)
    if len(values) == 0:
        return None
    classes = np.frombuffer(raw.translate(_CLASS_TABLE), dtype=np.uint8)
    if (classes[0::2] != _DIGIT).any() or (classes[1::2] > _NEWLINE).any():
        return None
    return values[0::2] - 48.0


def _parse_plain_decimals(raw):
    """Numbers and per-line counts of a table made only of plain decimals (``-12``, ``3.25``, ``.5``).

    Returns None when the bytes hold anything else, for the line-by-line parser to handle. The
    value of each number is its digits as an exact integer divided by an exact power of ten:
    one correctly rounded division, hence bit-identical to ``float(token)``. Temporaries are
    kept small (int8 and per-number arrays where possible): fresh pages are the main cost of large
    numpy temporaries.
    """
    kinds = np.frombuffer(raw.translate(_CLASS_TABLE), dtype=np.uint8)
    if kinds.size == 0:
        return np.empty(0), np.zeros(0, dtype=np.int64)
    if kinds.max() == _OTHER:
        return None
    in_number = np.zeros(len(kinds) + 2, dtype=bool)    # padded with False at both ends
    np.greater_equal(kinds, _DIGIT, out=in_number[1:-1])
    edges = np.flatnonzero(in_number[1:] != in_number[:-1])
    begins, ends = edges[::2], edges[1::2] - 1          # first and last byte of every number
    newlines = np.flatnonzero(kinds == _NEWLINE)
    if np.greater(kinds == _COMMA, in_number[:-2]).any():
        return None   # a comma not right after a number (",,", a line's first comma): the line parser decides
    count = len(begins)
    if count == 0:
        return np.empty(0), np.zeros(len(newlines) + 1, dtype=np.int64)
    minuses = np.flatnonzero(kinds == _MINUS)
    if len(minuses) and (begins[np.minimum(np.searchsorted(begins, minuses), count - 1)] != minuses).any():
        return None   # a minus inside a number
    dots = np.flatnonzero(kinds == _DOT)
    numbers = _fixed_point(raw, kinds, begins, ends, minuses, dots)
    if numbers is None:
        numbers = _digit_sums(raw, kinds, begins, minuses, dots)
        if numbers is None:
            return None
    per_line = np.diff(np.concatenate([[0], np.searchsorted(begins, newlines), [count]]))
    return numbers, per_line


def _fixed_point(raw, kinds, begins, ends, minuses, dots):
    """The common case at C speed: no number has a dot, or every number has one dot followed by the
    same count of digits (``%d``, ``%.4f`` tables). numpy reads the digits without the dots as
    integers, each divided by one exact power of ten (the correctly rounded division ``float()``
    also gives). None for anything else (mixed decimals, long mantissas, a negative zero)."""
    if len(minuses) and (minuses[-1] + 1 == len(kinds) or (kinds[minuses + 1] != _DIGIT).any()):
        return None   # "-.5" or a lone "-": left to the general path
    places = 0
    if len(dots):
        if len(dots) != len(begins):
            return None
        places = int(ends[0] - dots[0])
        # dots and numbers pair up in order: each dot lies in its number, ``places`` bytes before its end
        if places > _MAX_DIGITS or (dots < begins).any() or (ends - dots != places).any():
            return None
    mantissa = np.fromstring(raw.translate(_TO_SPACES, b"."), dtype=np.int64, sep=" ")
    if len(mantissa) != len(begins) or mantissa.max() >= _EXACT_MANTISSA or mantissa.min() <= -_EXACT_MANTISSA:
        return None
    if len(minuses) and not mantissa.all() and _NEGATIVE_ZERO.search(raw):
        return None   # "-0.0" is -0.0 for float(); the integer read would lose its sign
    return mantissa / _POWERS[places]


def _digit_sums(raw, kinds, begins, minuses, dots):
    """Any mix of plain decimals: each number's digits summed with their powers of ten."""
    count = len(begins)
    digits = np.flatnonzero(kinds == _DIGIT)
    digit_count = np.diff(np.append(np.searchsorted(digits, begins), len(digits)))
    if digit_count.min() == 0 or digit_count.max() > _MAX_DIGITS:
        return None
    dot_token = np.searchsorted(begins, dots, side="right") - 1
    if len(dots) > 1 and (np.diff(dot_token) == 0).any():
        return None
    first_digit = np.cumsum(digit_count) - digit_count      # index into ``digits`` of each number's first digit
    place = np.repeat((first_digit + digit_count - 1).astype(np.int32), digit_count)
    place -= np.arange(len(digits), dtype=np.int32)          # digits after this one in its number
    terms = np.frombuffer(raw, dtype=np.uint8)[digits] - 48.0
    terms *= _POWERS[place]
    mantissa = np.add.reduceat(terms, first_digit)
    decimals = np.zeros(count, dtype=np.intp)
    decimals[dot_token] = first_digit[dot_token] + digit_count[dot_token] - np.searchsorted(digits, dots)
    numbers = mantissa / _POWERS[decimals]
    if len(minuses):
        numbers[np.searchsorted(begins, minuses)] *= -1.0
    return numbers


def _fields(line):
    """The fields of one line: separated by one comma or semicolon (spaces around it allowed) or by
    spaces and tabs; a trailing comma is dropped, an empty field between two is kept (and refused)."""
    stripped = line.strip(" \t")
    if not stripped:
        return []
    fields = _FIELD_SEPARATOR.split(stripped)
    return fields[:-1] if len(fields) > 1 and fields[-1] == "" else fields


def _parse_lines(text, columns, source, error):
    """Line-by-line parse of any table ``float()`` can read; names the first line that does not fit."""
    rows = []
    for number, line in enumerate(_LINE_BREAK.split(text.lstrip("\ufeff")), start=1):
        tokens = _fields(line)
        if not tokens:
            continue
        width = columns or (len(rows[0]) if rows else len(tokens))
        if len(tokens) != width or not all(_is_number(token) for token in tokens):
            empty = " (an empty field between two separators would shift the columns)" if "" in tokens else ""
            raise error(f"{source}, line {number}: expected {_expected(columns)}, found "
                        f"{line.strip(' ')[:60]!r}{empty}")
        rows.append([float(token) for token in tokens])
    return np.array(rows, dtype=np.float64).reshape(len(rows), columns or (len(rows[0]) if rows else 1))


def _is_number(token):
    if not (token.isascii() and token.isprintable()):
        return False
    try:
        float(token)
    except ValueError:
        return False
    return True
