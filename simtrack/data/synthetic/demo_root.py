"""Where the demo set lives and whether a complete one is there: what scoring needs of it.

The generator (``simtrack.data.synthetic.generator``) needs OpenCV; locating and recognising a demo set
written earlier does not, so scoring the demo set works where OpenCV is not installed.
"""
from pathlib import Path

from ...errors import DatasetError
from ...formats.json_data import parse_json
from ...formats.regular_files import read_regular
from ...limits import MAX_RECORD_BYTES

MARKER = ".demo_complete.json"
FOLDER = "demo"        # its usual folder under $SIMTRACK_DATA or ./data


def demo_marker(root):
    """The parameters a complete demo set under ``root`` was written with, or None.

    The folder may be anyone's (``--data-root``): the marker is read only when it is a regular file of
    record size, so a FIFO or a huge file in its place is no demo set instead of a hang.
    """
    path = Path(root) / MARKER
    try:
        return parse_json(read_regular(path, MAX_RECORD_BYTES, "demo set marker"), str(path))
    except DatasetError:
        return None


def locate_demo_root(path):
    """The demo folder for a given root: ``path`` itself unless it is a non-empty folder holding
    something else (a data folder such as ``--data-root ~/data``), in which case ``path/demo``."""
    path = Path(path)
    if demo_marker(path) is None and path.is_dir() and any(path.iterdir()):
        return path / "demo"
    return path



def is_complete(root):
    """Whether ``root`` holds a whole demo set (its marker is written last)."""
    return demo_marker(root) is not None
