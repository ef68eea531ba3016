"""Turning result files into numbers: each toolkit's metrics, reading result files and archives in
every spelling trackers publish, and the server submissions. Never imports torch."""
