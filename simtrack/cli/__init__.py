"""Shared command-line plumbing: user errors become one message and a non-zero exit."""
import sys

from ..errors import SimTrackError


def one_line(message):
    """``message`` on one line: its lines stripped and joined (lists of problems stay readable)."""
    return " ".join(line.strip() for line in str(message).splitlines() if line.strip())


def run_cli(main, argv=None):
    """Call ``main(argv)``; print a ``SimTrackError`` as one line on stderr and exit 2.

    An ``OSError`` that no check caught (a disk that fills, a file removed meanwhile) is printed the
    same way with the file it concerns, exit 1: it is the machine's state, not a bug to debug.
    """
    try:
        code = main(argv)
    except SimTrackError as error:
        print(f"error: {one_line(error)}", file=sys.stderr)
        sys.exit(2)
    except OSError as error:
        where = f" ({error.filename})" if error.filename else ""
        print(f"error: {one_line(error.strerror or error)}{where}; check the path and the free space, then rerun",
              file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(code or 0)
