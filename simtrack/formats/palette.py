"""The colours every picture of a report uses: tracker k has the same colour in the plots, the HTML
report, the annotated videos and the thumbnails; ground truth is always drawn in GROUND_TRUTH.

Plain data (no matplotlib, no torch), in ``simtrack`` because the tracking command draws with it
too and ``simtrack`` never imports ``benchmarks``; the plots, the HTML report, ``benchmarks.visualize``
and ``simtrack.track`` all take their colours from here.
"""
# matplotlib's "tab10" palette, in its order.
TRACKER_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
LINE_STYLES = ("-", "--", "-.", ":")     # after ten trackers the colours repeat with another line style
GROUND_TRUTH = "#ffffff"                 # drawn with a dark outline on frames, so it shows on any image


def tracker_color(index):
    """``#rrggbb`` colour of the index-th tracker (index in the order the trackers were given)."""
    return TRACKER_COLORS[index % len(TRACKER_COLORS)]


def tracker_line_style(index):
    return LINE_STYLES[(index // len(TRACKER_COLORS)) % len(LINE_STYLES)]


def rgb(color):
    """``#rrggbb`` -> (r, g, b) integers 0-255."""
    return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))
