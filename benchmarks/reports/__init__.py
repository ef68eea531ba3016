"""What an evaluation writes: tables (Markdown, CSV, LaTeX), figures (drawn in a forked process) and
the self-contained report.html."""
