"""A tracker package the toolkit has never seen, written into a temporary folder by the tests that run
"any tracker": a got10k-style NCC tracker (``ncc.NCCTracker``, a ``got10k.trackers.Tracker``), the
same without got10k (``plain.PlainNCC``, for environments without it), and faulty variants."""
import textwrap

USER_PACKAGE = {
    "__init__.py": "",
    "helpers.py": '''
        import numpy as np

        def gray(image):
            return np.asarray(image.convert("L"), dtype=np.float32)
        ''',
    "plain.py": '''
        import time
        import cv2
        import numpy as np
        from .helpers import gray

        class PlainNCC:
            """Template matching around the last position; PIL images in, as got10k passes them."""

            def __init__(self, search=1.0, delay=0.0):
                self.search, self.delay = float(search), float(delay)

            def init(self, image, box):
                frame = gray(image)
                x, y, w, h = [int(round(v)) for v in box]
                x, y = max(0, x), max(0, y)
                self.template = frame[y:y + h, x:x + w].copy()
                self.box = np.array([x, y, self.template.shape[1], self.template.shape[0]], dtype=np.float64)

            def update(self, image):
                time.sleep(self.delay)
                frame = gray(image)
                x, y, w, h = self.box
                pad_w, pad_h = int(self.search * w), int(self.search * h)
                x0, y0 = max(0, int(x) - pad_w), max(0, int(y) - pad_h)
                window = frame[y0:min(frame.shape[0], int(y + h) + pad_h), x0:min(frame.shape[1], int(x + w) + pad_w)]
                if window.shape[0] < self.template.shape[0] or window.shape[1] < self.template.shape[1]:
                    return self.box.copy()
                score = cv2.matchTemplate(window, self.template, cv2.TM_CCOEFF_NORMED)
                _, best, _, (bx, by) = cv2.minMaxLoc(score)
                self.confidence = float(best)
                self.box = np.array([x0 + bx, y0 + by, w, h], dtype=np.float64)
                return self.box.copy()
        ''',
    "ncc.py": '''
        from got10k.trackers import Tracker
        from .plain import PlainNCC

        class NCCTracker(PlainNCC, Tracker):
            """The same as a got10k tracker."""

            def __init__(self, search=1.0, delay=0.0):
                Tracker.__init__(self, name="NCC", is_deterministic=True)
                PlainNCC.__init__(self, search, delay)
        ''',
    "faulty.py": '''
        import os
        import signal
        import sys
        import numpy as np
        from .ncc import NCCTracker

        class Faulty(NCCTracker):
            """Misbehaves on the sequence whose first box starts at x == <key>, as ``faults`` says."""

            def __init__(self, faults):
                super().__init__()
                self.faults = faults

            def init(self, image, box):
                super().init(image, box)
                self.fault = self.faults.get(str(int(box[0])))
                self.count = 0

            def update(self, image):
                box = super().update(image)
                self.count += 1
                if self.count < 3:
                    return box
                if self.fault == "raise":
                    raise ZeroDivisionError("user bug: division by zero in my tracker")
                if self.fault == "exit":
                    sys.exit(3)
                if self.fault == "crash":                # what a bug in a C extension does
                    os.kill(os.getpid(), signal.SIGSEGV)
                if self.fault == "nan":
                    box[0] = np.nan
                if self.fault == "shape":
                    return box[:3]
                return box

        class NoUpdate:
            def init(self, image, box):
                pass
        ''',
    "echo.py": '''
        import numpy as np

        class Echo:
            """Reports the first box on every frame (numpy RGB images in: our protocol)."""

            image_type = "rgb"

            def init(self, image, box):
                self.box = np.array(box, dtype=float)

            def update(self, image):
                return self.box
        ''',
    "broken.py": '''
        import a_module_that_is_not_installed
        ''',
}


def write_package(folder, name="usertrackers"):
    """Write the package as ``folder/name``; returns ``folder`` (the one to put on the path)."""
    for file, text in USER_PACKAGE.items():
        path = folder / name / file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return folder
