"""Runs commands on hostile inputs, each in a forked child with a memory cap and a time limit.

    python tests/untrusted_driver.py CASES.json      # one JSON result per line on stdout

Used by test_untrusted_inputs.py: the commands are imported once, then every case forks a child
that caps its address space (``RLIMIT_AS``, the driver's own size + ``cap_mb``), optionally its file
size (``RLIMIT_FSIZE``), sends its stdout and stderr to files and calls the command's ``main``
through ``simtrack.cli.run_cli`` exactly as ``python -m`` does. The driver waits at most ``timeout``
seconds (then kills the child's process group) and reports the exit status, the output, the
seconds and the peak resident memory of the child and the processes it waited for (``ru_maxrss``:
what the command would use on its own, the modules it shares with the driver included).

A case is ``{"id", "command", "argv", "cwd", "timeout", "cap_mb", "fsize", "patch"}``; ``patch``
names one of ``PATCHES``, applied in the child before the command runs.
"""
import importlib
import json
import os
import resource
import signal
import sys
import tempfile
import time

COMMANDS = {"evaluate": "benchmarks.evaluate", "submit": "benchmarks.submit", "run": "benchmarks.run",
            "convert": "simtrack.convert", "track": "simtrack.track", "train": "simtrack.train.__main__"}
MB = 1 << 20


def _interrupt_report(case):
    """Ctrl-C while the report is written: the third report file raises KeyboardInterrupt."""
    from benchmarks.reports import writer
    real, calls = writer.atomic_write, []

    def interrupted(path, data, durable=True):
        calls.append(path)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(path, data, durable)
    writer.atomic_write = interrupted


def _hold_report(case):
    """Another evaluation is writing the report: hold the lock it takes (the report's manifest)."""
    import fcntl

    from benchmarks.reports.folder import MANIFEST
    path = os.path.join(case["report"], MANIFEST)
    case["_held"] = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(case["_held"], fcntl.LOCK_EX)


def _failing_figure(case):
    """A figure that cannot be drawn, in the figure process."""
    from benchmarks.reports import drawer

    def fail(figure, folder, formats=("png",)):
        raise ValueError(f"cannot draw {figure.stem}: $\\frac{{1}}{{$\nsecond line")
    drawer.draw_figure = fail


PATCHES = {"interrupt_report": _interrupt_report, "hold_report": _hold_report, "failing_figure": _failing_figure}


def address_space_bytes():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def child(case, main, out, err):
    os.setpgid(0, 0)
    os.chdir(case["cwd"])
    limit = address_space_bytes() + case.get("cap_mb", 600) * MB
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if case.get("fsize"):
        resource.setrlimit(resource.RLIMIT_FSIZE, (case["fsize"], case["fsize"]))
    os.dup2(out, 1)
    os.dup2(err, 2)
    code = 1
    try:
        if case.get("patch"):
            PATCHES[case["patch"]](case)
        from simtrack.cli import run_cli
        run_cli(main, case["argv"])
        code = 0
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 1
    except BaseException:
        import traceback
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def run(case, main):
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        pid = os.fork()
        if pid == 0:
            child(case, main, out.fileno(), err.fileno())
        deadline, timed_out = start + case.get("timeout", 60), False
        while True:
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                timed_out = True
                os.killpg(pid, signal.SIGKILL)
                done, status, usage = os.wait4(pid, 0)
                break
            time.sleep(0.005)
        seconds = time.monotonic() - start
        texts = []
        for handle in (out, err):
            handle.seek(0)
            texts.append(handle.read().decode("utf-8", "replace"))
    return {"id": case["id"], "exit": os.waitstatus_to_exitcode(status), "stdout": texts[0], "stderr": texts[1],
            "seconds": round(seconds, 2), "timed_out": timed_out, "peak_mb": round(usage.ru_maxrss / 1024, 1)}


def main(path):
    with open(path) as file:
        cases = json.load(file)
    mains = {}
    for case in cases:
        name = case["command"]
        if name not in mains:
            mains[name] = importlib.import_module(COMMANDS[name]).main
    if any(case["command"] == "evaluate" for case in cases):
        import matplotlib.backends.backend_agg  # noqa: F401  (the figure process would import it each time)
    for case in cases:
        print(json.dumps(run(case, mains[case["command"]])), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
