"""Suite-wide settings: one torch thread (CI has 2 cores and several tests start processes)."""
import os

import torch

os.environ.setdefault("MPLBACKEND", "Agg")
torch.set_num_threads(1)
