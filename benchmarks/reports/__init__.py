"""What an evaluation writes: tables (Markdown, CSV, LaTeX), figures (drawn in a forked process) and
the self-contained report.html; ``evaluate`` scores and writes in one call."""
from .evaluation import evaluate, evaluate_table
from .writer import write_report

__all__ = ["evaluate", "evaluate_table", "write_report"]
