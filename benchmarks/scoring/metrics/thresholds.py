"""Each toolkit's threshold arrays, value for value: they decide ties such as an IoU of exactly 0.55."""
import numpy as np


def matlab_colon(start, step, stop):
    """The values of MATLAB's ``start:step:stop`` (filled symmetrically from both ends, as MATLAB does).

    They differ from ``np.arange`` in the last bit for some entries, which decides ties such as an
    IoU of exactly 0.55 against the 0.55 threshold.
    """
    n = int(round((stop - start) / step))
    tol = 2.0 * np.finfo(float).eps * max(abs(start), abs(stop))
    if start + n * step - stop > tol:
        n -= 1
    end = start + n * step
    if end - stop > -tol:
        end = stop
    out = np.empty(n + 1)
    half = np.arange(n // 2 + 1)
    out[half] = start + half * step
    out[n - half] = end - half * step
    if n % 2 == 0:
        out[n // 2] = (start + end) / 2
    return out


# torch.arange(0.0, 1.05, 0.05, dtype=torch.float64) as computed by torch (pytracking's overlap
# thresholds); entries 13 and 15 differ from np.arange in the last bit.
PYTRACKING_OVERLAP = np.array([
    0.0, 0.05, 0.1, 0.15000000000000002, 0.2, 0.25, 0.30000000000000004, 0.35000000000000003, 0.4,
    0.45, 0.5, 0.55, 0.6000000000000001, 0.6500000000000001, 0.7000000000000001, 0.7500000000000001,
    0.8, 0.8500000000000001, 0.9, 0.9500000000000001, 1.0])
PIXELS_0_50 = np.arange(51, dtype=float)
NORMALIZED_0_050 = np.arange(51) / 100.0
