"""Sequence and tracker names are data, never paths: checked before they become file names.

A name comes from a split list, a pysot JSON file, an archive or a folder listing someone else
made, and ends up in ``<results>/<tracker>/<dataset>/<name>.txt``, in report tables and on the
terminal. A valid name is non-empty text of at most ``limits.MAX_NAME_BYTES`` bytes in UTF-8, with
no path separator (``/``, ``\\``) or other character Windows file names cannot hold (``<>:"|?*``),
no NUL or other control character (ESC sequences, a CR that rewrites a terminal or CSV line, a
Unicode line separator), no undecodable byte (a non-UTF-8 folder name), and is not ``.`` or ``..``.
Anything else is kept: spaces, non-ASCII letters, a leading ``-`` (TrackingNet), ``$`` (the reports
render every name as text). Attributes are text, not file names: ``text_problem`` only.
``child_path`` is the last line of defence for every path we write: the joined path, links
resolved, must stay in its folder.
"""
import unicodedata
from pathlib import Path

from .errors import DatasetError
from .formats.regular_files import leaving
from .limits import MAX_NAME_BYTES

RESERVED = '/\\<>:"|?*'      # separators, and what Windows forbids in a file name


def text_problem(text):
    """Why ``text`` (a name or attribute shown in reports and on the terminal) cannot be shown as it is,
    or None: it must be non-empty text of at most MAX_NAME_BYTES bytes without control characters."""
    if not isinstance(text, str):
        return f"is {type(text).__name__}, not text"
    if not text:
        return "is empty"
    if not (text.isascii() and text.isprintable()):       # the common case is checked in C
        for char in text:
            category = unicodedata.category(char)
            if category == "Cs":
                return "is not valid UTF-8 (it holds an undecodable byte)"
            if category in ("Cc", "Zl", "Zp"):
                return f"contains the control character {ascii(char)[1:-1]}"
    if len(text.encode("utf-8")) > MAX_NAME_BYTES:
        return f"is longer than {MAX_NAME_BYTES} bytes"
    return None


def name_problem(name):
    """Why ``name`` cannot be a file name of ours, or None."""
    problem = text_problem(name)
    if problem:
        return problem
    if name in (".", ".."):
        return "is a path component ('.' or '..')"
    reserved = next((char for char in name if char in RESERVED), None)
    if reserved:
        kind = "the path separator" if reserved in "/\\" else "a character Windows file names cannot hold"
        return f"contains {kind} {reserved!r}"
    return None


def shown(name):
    """``name`` for a message: escaped (no control character reaches the terminal), shortened."""
    text = ascii(name) if isinstance(name, str) else repr(name)
    return text if len(text) <= 80 else text[:76] + "...'"


def check_name(name, what, source, error=DatasetError):
    """``name`` unless it cannot be a file name; ``error`` names ``source`` (the list, file or archive)."""
    problem = name_problem(name)
    if problem:
        raise error(f"{source}: {what} {shown(name)} {problem}; names become file names, so it is refused "
                    "(rename it where it comes from)")
    return name


def check_names(names, what, source, error=DatasetError):
    """Every name valid and none twice: a list naming a sequence twice would count it twice."""
    seen = {}
    for position, name in enumerate(names, 1):
        check_name(name, what, source, error)
        if name in seen:
            raise error(f"{source}: {what} {shown(name)} is listed twice (entries {seen[name]} and {position}); "
                        "each must appear once, remove the copy")
        seen[name] = position
    return list(names)


def check_inside(path, folder, error=DatasetError):
    """``path`` unless, links resolved, it lies outside ``folder`` (where a write would land elsewhere)."""
    real = leaving(path, folder, root_inside=False)
    if real is not None:
        raise error(f"{path} resolves to {real}, outside {folder}; refused to write there (a link in the folder? "
                    "remove it)")
    return Path(path)


def child_path(folder, name, suffix="", what="sequence name", error=DatasetError):
    """``folder/<name><suffix>`` for a checked ``name``, refused unless it stays inside ``folder``."""
    check_name(name, what, folder, error)
    return check_inside(Path(folder) / f"{name}{suffix}", folder, error)
