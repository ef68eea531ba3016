"""The training input pipeline: dataset sources -> pair sampler -> processing -> torch DataLoader.

Sample ``i`` of epoch ``e`` is drawn with a generator seeded by ``(seed, e * samples_per_epoch + i)``:
it does not depend on the worker or the process that makes it, so runs are reproducible with any
number of workers, and a resumed run continues with exactly the samples it would have seen.
"""
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from ..cores import set_threads
from ..data import load_dataset
from ..errors import ConfigError, DatasetError
from ..formats.images import read_image
from .processing import CropSpec, PairProcessor
from .sampler import SequencePool
from .synthetic_source import SyntheticPool

MAX_ATTEMPTS = 100


def load_pools(data):
    """One ``SequencePool`` per configured dataset (a list of splits is one pool), and the ratios."""
    pools = []
    for entry in data.datasets:
        if entry.name == "synthetic":
            pools.append(SyntheticPool(entry.sequences, entry.frames))
            continue
        splits = entry.split if isinstance(entry.split, list) else [entry.split]
        root = entry.root or data.root
        label = f"{entry.name} ({', '.join(map(str, splits))})"
        try:
            sequences = [s for split in splits for s in load_dataset(entry.name, root=root, split=split)]
        except DatasetError as error:
            raise DatasetError(f"training dataset {label}: {error}\n(in a recipe, the folder is data.root "
                               f"or the dataset's own root key)") from None
        if not sequences:
            raise DatasetError(f"training dataset {label} holds no sequences; check its folder and split")
        pools.append(SequencePool(label, sequences))
    return pools, [entry.ratio for entry in data.datasets]


def load_frame(sequence, index):
    """RGB uint8 frame ``index``: an in-memory array, or a file read from disk."""
    frame = sequence.frames[index]
    return frame if isinstance(frame, np.ndarray) else read_image(frame)


def build_processor(model_config, data):
    """The crops of ``model_config``'s geometry with the recipe's jitter and augmentation."""
    template = CropSpec(model_config.template_factor, model_config.template_size, model_config.template_grid,
                        data.template_jitter.centre, data.template_jitter.scale)
    search = CropSpec(model_config.search_factor, model_config.search_size, model_config.search_grid,
                      data.search_jitter.centre, data.search_jitter.scale)
    return PairProcessor(template, search, grayscale_prob=data.grayscale_prob,
                         frame_flip_prob=data.frame_flip_prob, crop_flip_prob=data.crop_flip_prob,
                         brightness_jitter=data.brightness_jitter)


class PairDataset(Dataset):
    """Map-style dataset over global sample indices; each index gives one processed pair.

    With ``pairs_per_sequence`` k > 1, indices ``k*j .. k*j+k-1`` share the generator that picks
    dataset and sequence (frames and augmentation still differ), so consecutive samples reuse a
    sequence; 1 is the reference's independent draws.
    """

    def __init__(self, sampler, processor, seed, pairs_per_sequence=1):
        self.sampler, self.processor, self.seed = sampler, processor, seed
        self.pairs_per_sequence = pairs_per_sequence

    def __getitem__(self, index):
        rng = np.random.default_rng([self.seed, index])
        shared = (np.random.default_rng([self.seed, index // self.pairs_per_sequence, 1])
                  if self.pairs_per_sequence > 1 else rng)
        for attempt in range(MAX_ATTEMPTS):
            pair = self.sampler.draw(rng, shared if attempt == 0 else rng)
            template_frame = load_frame(pair.sequence, pair.template_frame)
            search_frame = (template_frame if pair.search_frame == pair.template_frame
                            else load_frame(pair.sequence, pair.search_frame))
            sample = self.processor(template_frame, pair.sequence.boxes[pair.template_frame],
                                    search_frame, pair.sequence.boxes[pair.search_frame], rng)
            if sample is not None:
                return {key: torch.from_numpy(value) for key, value in sample.items()}
        raise DatasetError(f"{MAX_ATTEMPTS} pairs in a row gave crops outside their frames (last: "
                           f"{pair.sequence.dataset}/{pair.sequence.name}); check the boxes of the training data")


class EpochBatches:
    """Batch sampler: global batches of ``batch_size * world_size`` consecutive sample indices.

    Process ``rank`` takes its ``batch_size`` slice of each global batch. ``set_epoch(epoch,
    start_batch)`` selects the epoch and skips the batches a resumed run already trained on.
    """

    def __init__(self, samples_per_epoch, batch_size, rank=0, world_size=1):
        self.samples_per_epoch, self.batch_size = samples_per_epoch, batch_size
        self.rank, self.world_size = rank, world_size
        self.batches_per_epoch = samples_per_epoch // (batch_size * world_size)
        if self.batches_per_epoch == 0:
            raise ConfigError(f"data.samples_per_epoch={samples_per_epoch} is smaller than one global batch "
                              f"(optim.batch_size {batch_size} x {world_size} processes)")
        self.epoch, self.start_batch = 0, 0

    def set_epoch(self, epoch, start_batch=0):
        self.epoch, self.start_batch = epoch, start_batch

    def __len__(self):
        return max(0, self.batches_per_epoch - self.start_batch)

    def __iter__(self):
        global_batch = self.batch_size * self.world_size
        for batch in range(self.start_batch, self.batches_per_epoch):
            first = self.epoch * self.samples_per_epoch + batch * global_batch + self.rank * self.batch_size
            yield list(range(first, first + self.batch_size))


def _worker_init(_):
    """Single-threaded workers that leave Ctrl-C to the main process (it saves, then stops them)."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    set_threads(1)


def build_loader(dataset, batches, workers, pin_memory=False):
    """A DataLoader with persistent workers over ``batches`` (re-iterate after ``set_epoch``)."""
    return DataLoader(dataset, batch_sampler=batches, num_workers=workers, pin_memory=pin_memory,
                      persistent_workers=workers > 0, worker_init_fn=_worker_init if workers else None)
