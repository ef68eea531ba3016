"""Exception types for errors a user can cause.

Command-line tools catch ``SimTrackError`` and print its message (no traceback), so every
message must say what was expected, where, and how to fix it.
"""


class SimTrackError(Exception):
    """Base class of all user-facing errors of the toolkit."""


class ConfigError(SimTrackError):
    """Unknown model variant, unknown or mistyped configuration key, inconsistent sizes."""


class CheckpointError(SimTrackError):
    """A weights file that cannot be read, or does not fit the model it is loaded into."""


class TrackerInputError(SimTrackError):
    """A bad image or box given to the tracker, or ``update`` called before ``init``."""


class DatasetError(SimTrackError):
    """A dataset root or sequence folder that is missing or not in the expected layout."""


class ResultsError(SimTrackError):
    """Result files that are missing, truncated or malformed."""


class SubmissionError(SimTrackError):
    """A benchmark-server submission that fails validation."""
