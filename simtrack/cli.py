"""Shared command-line plumbing: user errors become one message and a non-zero exit."""
import sys

from .errors import SimTrackError


def run_cli(main, argv=None):
    """Call ``main(argv)``; print a ``SimTrackError`` as one line on stderr and exit 2."""
    try:
        code = main(argv)
    except SimTrackError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(code or 0)
