"""Figures drawn by a forked process that imports matplotlib ahead of time, several figures at once.

Importing matplotlib costs about a second, drawing a figure a few tenths. ``ForkedDrawer`` forks
when it is created, before the command reads any file: the child imports matplotlib and warms its
fonts while the parent reads and scores the results, then draws the figures it is sent, forking
once more per core so that they are drawn side by side. Where ``fork`` does not exist (Windows),
the figures are drawn in the calling process. The interface is ``plots.Drawer``'s.

The drawing processes ignore Ctrl-C (the command decides what an interruption means: ``abort``
ends them) and run in their own process group, so that ``abort`` ends the grandchildren too. A
failure (a full disk, a figure that cannot be drawn) comes back to the parent as one exception:
the ``OSError`` with its file, or a ``ReportError`` naming the figure; a parent that has gone
away is no reason for a traceback.
"""
import multiprocessing
import os
import signal
from multiprocessing.connection import Pipe
from pathlib import Path

from simtrack.cores import longest_first, usable_cores
from simtrack.errors import ReportError

from .plots import Drawer, cost, draw_figure


class ForkedDrawer:
    """A drawing process started now; ``draw`` hands it the figures and waits for the files."""

    def __init__(self):
        self._process = self._connection = self._here = None
        if "fork" not in multiprocessing.get_all_start_methods():
            return
        context = multiprocessing.get_context("fork")
        self._connection, child_end = context.Pipe()
        self._process = context.Process(target=_serve, args=(child_end, self._connection), name="simtrack-figures")
        self._process.start()
        child_end.close()

    def start(self, figures, folder, formats=("png",)):
        """Hand the figures to the drawing process, which starts at once; ``finish`` waits for them."""
        if self._process is None:
            self._here = Drawer()
            self._here.start(figures, folder, formats)
            return
        try:
            self._connection.send((figures, str(folder), tuple(formats)))
        except OSError:
            raise ReportError("the figure process ended before drawing the figures") from None

    def finish(self):
        """The paths written; exceptions of the drawing re-raise here."""
        if self._process is None:
            return self._here.finish()
        try:
            status, value = self._connection.recv()
        except (EOFError, OSError):
            raise ReportError("the figure process ended before drawing the figures") from None
        finally:
            self.close()
        if status == "error":
            raise value
        return [Path(path) for path in value]

    def draw(self, figures, folder, formats=("png",)):
        """Write every figure into ``folder``; returns the paths."""
        self.start(figures, folder, formats)
        return self.finish()

    def close(self):
        """End the drawing process (it exits when its pipe closes)."""
        if self._process is not None:
            self._connection.close()
            self._process.join()
            self._process = None

    def abort(self):
        """Stop drawing at once (the figures are not wanted any more): kill the drawing processes."""
        if self._process is not None:
            for kill in (os.killpg, os.kill):        # the group (its forks too), or it alone if not yet a leader
                try:
                    kill(self._process.pid, signal.SIGKILL)
                except OSError:
                    pass
            self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _serve(connection, parent_end):
    """The child: import and warm matplotlib, then draw one batch of figures and report."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # Ctrl-C is the parent's to handle
    try:
        os.setpgid(0, 0)                             # abort() ends this process and its forks together
    except OSError:
        pass
    parent_end.close()          # else the parent closing its end would not end our recv()
    try:
        _warm_up()
        figures, folder, formats = connection.recv()
    except (EOFError, OSError):
        return                                   # the parent finished (or failed) without figures
    try:
        reply = ("ok", _draw_side_by_side(figures, folder, formats))
    except BaseException as error:  # handed to the parent, which raises it
        reply = ("error", _portable(error, figures))
    _send(connection, reply)


def _portable(error, figures):
    """``error`` as the parent should raise it: an OSError as it is (its file names the figure), any
    other failure as a one-line ReportError (it need not pickle)."""
    if isinstance(error, (OSError, ReportError)):
        return error
    text = " ".join(str(error).split())[:300]
    return ReportError(f"drawing the figure(s) {', '.join(figure.stem for figure in figures)} failed: "
                       f"{type(error).__name__}: {text}")


def _send(connection, reply):
    """Send ``reply``; a parent that has gone (a closed pipe) is not an error of ours."""
    try:
        connection.send(reply)
    except (OSError, EOFError, ValueError):
        pass


def _warm_up():
    """Import matplotlib and render text once, so that fonts are loaded before the figures arrive."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    figure = Figure(figsize=(1, 1))
    figure.text(0.5, 0.5, "AUC [%] 0.5")
    FigureCanvasAgg(figure).draw()


def _draw_side_by_side(figures, folder, formats):
    """Draw ``figures`` in up to one process per core (forked: matplotlib is already imported)."""
    shares = longest_first(figures, max(1, min(len(figures), usable_cores())), cost)
    children = []
    for share in shares[1:]:
        receive, send = Pipe(duplex=False)
        pid = os.fork()
        if pid == 0:                                    # grandchild: draw its share, report, exit at once
            receive.close()
            try:
                reply = ("ok", [str(path) for figure in share for path in draw_figure(figure, folder, formats)])
            except BaseException as error:
                reply = ("error", _portable(error, share))
            try:
                _send(send, reply)
            finally:
                os._exit(0)
        send.close()
        children.append((pid, receive))
    paths = [str(path) for figure in shares[0] for path in draw_figure(figure, folder, formats)]
    failure = None
    for pid, receive in children:
        try:
            status, value = receive.recv()
        except EOFError:
            status, value = "error", ReportError("a figure process ended without drawing its figures")
        os.waitpid(pid, 0)
        if status == "ok":
            paths += value
        else:
            failure = failure or value
    if failure is not None:
        raise failure
    return paths
