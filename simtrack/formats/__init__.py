"""File formats the toolkit reads and writes: frames and videos, x,y,w,h box tables, drawn boxes and
their colours, and atomic writes. No module here knows what a benchmark or a command is."""
