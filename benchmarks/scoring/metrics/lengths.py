"""What each toolkit does with a result file that is shorter or longer than the ground truth.

Toolkits disagree, and silently: pytracking's ``extract_results`` pads a short file with zero boxes
(every dataset but LaSOT), the TC128 scripts score a short file on the frames it covers, the
TrackingNet devkit scores the missing rows as misses, the MATLAB toolkits cut a long file and fail on
a short one, got10k 0.1.3 asserts equal length. A ``LengthRule`` holds one toolkit's behaviour for
one dataset; ``protocols`` picks it, ``aggregate.fit_boxes`` applies it and reports every sequence it
touched (a ``LengthChange``), and the reports name them even where the toolkit stays silent.
docs/evaluation.md has the table.
"""
from dataclasses import dataclass

from simtrack.errors import ResultsError

REFUSE = "refuse"        # the toolkit fails: nothing is scored
CUT = "cut"              # the rows beyond the ground truth are dropped (longer files)
PAD_ZERO = "pad_zero"    # zero boxes appended, scored like any box (pytracking, STARK)
PAD_MISS = "pad_miss"    # missing rows scored as misses at every threshold (TrackingNet devkit)
CUT_TRUTH = "cut_truth"  # the ground truth is cut to the file: the missing frames leave the denominator
SHORT_ACTIONS = (REFUSE, PAD_ZERO, PAD_MISS, CUT_TRUTH)
LONG_ACTIONS = (REFUSE, CUT)


@dataclass(frozen=True)
class LengthRule:
    """One toolkit's handling of too short (``short``) and too long (``long``) result files.

    ``toolkit`` names the code that does it, ``short_why``/``long_why`` what it does (or why it
    fails) in words for messages and reports; ``one_row_fails``: a one-line file fails to load
    (pytracking reads it as a vector), whatever ``short`` says.
    """

    short: str = REFUSE
    long: str = CUT
    toolkit: str = ""
    short_why: str = ""
    long_why: str = ""
    one_row_fails: bool = False
    silent: bool = True      # the toolkit itself says nothing when it pads or cuts

    def __post_init__(self):
        if self.short not in SHORT_ACTIONS or self.long not in LONG_ACTIONS:
            raise ValueError(f"bad length rule {self.short!r}/{self.long!r}")

    def accepts(self, rows, frames):
        """Whether a file of ``rows`` boxes is scored on a sequence of ``frames`` frames."""
        if rows == frames:
            return True
        if rows > frames:
            return self.long != REFUSE
        if rows == 0 or (rows == 1 and self.one_row_fails):
            return False
        return self.short != REFUSE

    def refusal(self, label, rows, frames):
        """The message for a file this rule refuses."""
        what = f"{label}: {rows} boxes for a sequence of {frames} frames"
        if rows == 0:
            return f"{what}; expected one box per frame"
        if rows == 1 and rows < frames and self.one_row_fails:
            why = f"{self.toolkit} reads a one-line file as a single vector and fails"
        else:
            why = self.short_why if rows < frames else self.long_why
        hint = " Re-run the tracker on this sequence" if rows < frames else ""
        return f"{what}; {why}.{hint}"

    def action(self, rows, frames):
        """What the rule does to a file of ``rows`` boxes on ``frames`` frames, in words."""
        if rows > frames:
            extra = rows - frames
            return f"{extra} extra row{'s' * (extra > 1)} cut"
        missing = frames - rows
        plural = "s" * (missing > 1)
        if self.short == PAD_ZERO:
            return f"padded with {missing} zero box{'es' * (missing > 1)}"
        if self.short == PAD_MISS:
            return f"{missing} missing row{plural} scored as misses"
        return f"ground truth cut to the file's {rows} rows ({missing} frame{plural} left out of the scores)"

    def refuse(self, label, rows, frames):
        """Raise the ResultsError of ``refusal`` unless the file is accepted."""
        if not self.accepts(rows, frames):
            raise ResultsError(self.refusal(label, rows, frames))


@dataclass(frozen=True)
class LengthChange:
    """A sequence whose result file a length rule padded or cut (one run of one tracker)."""

    sequence: str
    rows: int          # boxes in the file
    frames: int        # ground-truth frames
    action: str        # what was done, in words (``LengthRule.action``)
    dataset: str = ""  # the dataset key (set in merged evaluations)
