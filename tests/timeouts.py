"""A test that could hang (a FIFO read, a run that never ends) fails instead, after a deadline."""
import signal
from contextlib import contextmanager


@contextmanager
def within(seconds, what="the test"):
    """Raise ``TimeoutError`` in the block after ``seconds`` (SIGALRM interrupts a blocking open or read)."""
    def expire(signum, frame):
        raise TimeoutError(f"{what} still running after {seconds} s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
