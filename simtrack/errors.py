"""Exception types for errors a user can cause, and how their messages shorten long lists.

Command-line tools catch ``SimTrackError`` and print its message (no traceback), so every
message must say what was expected, where, and how to fix it.
"""


class SimTrackError(Exception):
    """Base class of all user-facing errors of the toolkit."""


def error_message(error):
    """One line for ``error``: ours as written (they say what and where), anything else after its
    type name (``KeyError: 'x'`` says little without it)."""
    return str(error) if isinstance(error, SimTrackError) else f"{type(error).__name__}: {error}"


class ConfigError(SimTrackError):
    """Unknown model variant, unknown or mistyped configuration key, inconsistent sizes."""


class CheckpointError(SimTrackError):
    """A weights file that cannot be read, or does not fit the model it is loaded into."""


class TrackerInputError(SimTrackError):
    """A bad image or box given to the tracker, or ``update`` called before ``init``."""


class TrackerError(SimTrackError):
    """A tracker given by a spec (``--tracker mypkg.module:Factory``) failed: its module did not import,
    its factory raised, it lacks a method, it returned something that is not a box, or it raised
    while tracking. The message names the tracker and carries its own error; the cause (``from``)
    keeps its traceback."""


class DatasetError(SimTrackError):
    """A dataset root or sequence folder that is missing or not in the expected layout."""


class ResultsError(SimTrackError):
    """Result files that are missing, truncated or malformed."""


class SubmissionError(SimTrackError):
    """A benchmark-server submission that fails validation."""


class ReportError(SimTrackError):
    """A report that cannot be written whole: its folder is in use, is not a report, or a figure fails."""


# How messages shorten long lists, the same way everywhere.
LISTED_NAMES = 10       # names shown inline ("a, b, c and 7 more")
LISTED_PROBLEMS = 20    # problems shown one per line, then "... and 7 more"


def listed(names, limit=LISTED_NAMES):
    """``names`` joined by commas, the ones beyond ``limit`` counted: ``"a, b and 3 more"``."""
    names = [str(name) for name in names]
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def problem_list(problems, limit=LISTED_PROBLEMS):
    """``problems`` one per line (to append to a message's first line), the ones beyond ``limit`` counted."""
    problems = list(problems)
    more = len(problems) - limit
    return "\n  - " + "\n  - ".join(problems[:limit]) + (f"\n  ... and {more} more" if more > 0 else "")
