"""Speed-ratio scripts: each measures the configurations it compares in one run (docs/speed.md)."""
