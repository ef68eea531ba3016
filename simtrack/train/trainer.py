"""The training loop: one process, or one per device under torchrun or srun (DistributedDataParallel).

Distributed settings come from torchrun's environment (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``MASTER_ADDR``/``MASTER_PORT``) or from srun's (``simtrack.train.launch``): NCCL on GPUs, gloo on
the CPU. Only the first process writes checkpoints, logs and TensorBoard scalars; the loss and
metrics it shows are averaged over all processes. All processes check at start that they read
the same recipe, and after every epoch that they hold the same weights.

A SIGINT or SIGTERM finishes the current step, then every process agrees to stop, the weights
and training state are saved, and the run exits; ``--resume`` continues from the next sample.
Sampling randomness comes from per-sample generators (``simtrack.train.data``) and training
draws no torch random numbers (no dropout), so a resumed run repeats the uninterrupted one.
"""
import hashlib
import json
import math
import os
import random
import signal
from contextlib import nullcontext

import numpy as np
import torch
import torch.distributed as dist

from ..checkpoints import load_weights, save_checkpoint
from ..devices import check_present, parse_device, resolve_device
from ..errors import ConfigError
from ..model import build_model
from .data import EpochBatches, PairDataset, build_loader, build_processor, load_pools
from .launch import read_launch
from .loss import CornerMapLoss, TrackingLoss
from .optim import build_optimizer
from .progress import Progress, open_tensorboard
from .sampler import MixedPairSampler
from .state import load_state, prune_epochs, resume_path, save_state
from .sync_norm import synchronise_batchnorm

AMP_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


class DistributedContext:
    """Rank, world size and device of this process; sets up the process group (torchrun or srun)."""

    def __init__(self, device="auto", launch=None):
        launch = launch or read_launch(os.environ)
        self.launcher = launch.launcher
        self.world_size, self.rank, self.local_rank = launch.world_size, launch.rank, launch.local_rank
        device = parse_device(device, "run.device")
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device not in ("cpu", "cuda") and self.world_size > 1:
            raise ConfigError(f"run.device {device} names one GPU, but this is process {self.rank} of "
                              f"{self.world_size} ({self.launcher}); give cuda: each process takes the GPU of "
                              f"its local rank")
        if device == "cuda":
            check_present("cuda", "run.device")
            index = self._gpu_index(torch.cuda.device_count())
            torch.cuda.set_device(index)
            self.device = torch.device("cuda", index)
        elif device != "cpu":  # cuda:N or a GPU / MIG UUID, for one process
            self.device = resolve_device(device, "run.device")
            torch.cuda.set_device(self.device)
        else:
            self.device = torch.device("cpu")
        if self.world_size > 1 and not dist.is_initialized():
            backend = "nccl" if self.device.type == "cuda" else "gloo"
            if launch.init_method:
                dist.init_process_group(backend, init_method=launch.init_method, rank=self.rank,
                                        world_size=self.world_size)
            else:
                dist.init_process_group(backend)

    def _gpu_index(self, count):
        """The local rank's GPU; the only one when the launcher gave each process its own (srun --gpus-per-task)."""
        if count == 1:
            return 0
        if self.local_rank >= count:
            raise ConfigError(f"local rank {self.local_rank} ({self.launcher}) but this process sees {count} GPUs; "
                              f"start at most one process per GPU on each node")
        return self.local_rank

    def mean(self, stats):
        """``stats`` (name -> float) averaged over all processes, the same on each."""
        if self.world_size == 1:
            return stats
        keys = sorted(stats)
        values = torch.tensor([float(stats[key]) for key in keys], dtype=torch.float64, device=self.device)
        dist.all_reduce(values)
        return dict(zip(keys, (values / self.world_size).tolist()))

    def share_buffers(self, model):
        """Give every process rank 0's buffers (BatchNorm running statistics), as DDP does before each
        forward pass: without SyncBatchNorm each rank's last batch left its own statistics behind."""
        if self.world_size > 1:
            for buffer in model.buffers():
                dist.broadcast(buffer, 0)

    def check_same(self, text, what):
        """Raise on every process unless all of them hold the same ``text`` (a recipe, a weights digest)."""
        if self.world_size == 1:
            return
        digest = int.from_bytes(hashlib.sha256(text.encode()).digest()[:7], "big")
        gathered = [torch.zeros(1, dtype=torch.int64, device=self.device) for _ in range(self.world_size)]
        dist.all_gather(gathered, torch.tensor([digest], dtype=torch.int64, device=self.device))
        differing = [rank for rank, value in enumerate(gathered) if int(value.item()) != int(gathered[0].item())]
        if differing:
            raise ConfigError(f"process(es) {', '.join(map(str, differing))} of {self.world_size} hold another {what} "
                              f"than process 0; every process must train the same recipe from the same files")

    @property
    def is_main(self):
        return self.rank == 0

    def any(self, flag):
        """True on every process when ``flag`` is true on one of them."""
        if self.world_size == 1:
            return flag
        value = torch.tensor([int(flag)], device=self.device)
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return bool(value.item())

    def close(self):
        if self.world_size > 1 and dist.is_initialized():
            dist.destroy_process_group()


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed % 2 ** 32)
    torch.manual_seed(seed)


class Trainer:
    """Builds model, data, optimiser from a ``TrainConfig`` and runs (or resumes) the recipe.

    Args:
        config: a ``simtrack.train.config.TrainConfig``.
        resume: None, "auto" (the run's own last state) or a path to a ``last.state.pt``.
    """

    def __init__(self, config, resume=None):
        self.config = config
        self.context = DistributedContext(config.run.device)
        seed_everything(config.run.seed + self.context.rank)
        self.context.check_same(json.dumps(config.to_dict(), sort_keys=True), "recipe")
        self.model = build_model(config.model.variant).to(self.context.device)
        if config.run.sync_batchnorm and self.context.world_size > 1:
            synchronise_batchnorm(self.model)
        self.optimizer, self.scheduler = build_optimizer(self.model, config.optim)
        self.scaler = torch.amp.GradScaler(self.context.device.type, enabled=config.optim.precision == "fp16")
        self.criterion = TrackingLoss(config.optim.giou_weight, config.optim.l1_weight)
        self.corner_loss = CornerMapLoss(self.model) if config.optim.corner_map_weight else None
        self.epoch, self.samples_done = 0, 0
        if resume:
            self._resume(resume_path(config.run.output_dir, resume))
        elif config.model.backbone_init:
            load_weights(self.model, config.model.backbone_init, backbone_only=True)
        pools, ratios = load_pools(config.data)
        dataset = PairDataset(MixedPairSampler(pools, ratios, config.data.max_gap),
                              build_processor(self.model.config, config.data), config.run.seed,
                              config.data.pairs_per_sequence)
        self.batches = EpochBatches(config.data.samples_per_epoch, config.optim.batch_size,
                                    self.context.rank, self.context.world_size)
        self.loader = build_loader(dataset, self.batches, config.data.workers,
                                   pin_memory=self.context.device.type == "cuda")
        self.network = self.model
        if self.context.world_size > 1:
            ids = [self.context.local_rank] if self.context.device.type == "cuda" else None
            self.network = torch.nn.parallel.DistributedDataParallel(self.model, device_ids=ids)
        self.stop_signal = None

    # ------------------------------------------------------------------ state

    def _resume(self, path):
        state = load_state(path, self.model)
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.epoch, self.samples_done = state["epoch"], state["samples_done"]

    def _state(self):
        return {"epoch": self.epoch, "samples_done": self.samples_done,
                "optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
                "scaler": self.scaler.state_dict() if self.scaler.is_enabled() else {},
                "model_config": self.model.config.to_dict(), "recipe": self.config.to_dict(),
                "world_size": self.context.world_size}

    def _save(self, weights_name, loss):
        if not self.context.is_main:
            return None
        metadata = {"recipe": self.config.name, "epoch": self.epoch, "samples_done": self.samples_done,
                    "loss": f"{loss:.6f}" if loss is not None else ""}
        return save_state(self.model, self.config.run.output_dir, weights_name, self._state(), metadata)

    # ------------------------------------------------------------------ signals

    def request_stop(self, signum=signal.SIGINT):
        """Finish the current step, save, and return from ``train`` (what SIGINT/SIGTERM do)."""
        self.stop_signal = signum

    def _install_signal_handlers(self):
        """First SIGINT/SIGTERM: stop cleanly after the step. A second one acts as usual (abort)."""
        def handler(signum, _frame):
            self.request_stop(signum)
            signal.signal(signum, signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL)

        return {signum: signal.signal(signum, handler) for signum in (signal.SIGINT, signal.SIGTERM)}

    # ------------------------------------------------------------------ loop

    def step(self, batch):
        """One optimiser step on a batch dict; returns its statistics."""
        device, optim = self.context.device, self.config.optim
        template, search, anno, target = (batch[k].to(device, non_blocking=True)
                                          for k in ("template", "search", "template_anno", "search_box"))
        autocast = (torch.autocast(device.type, dtype=AMP_DTYPES[optim.precision])
                    if optim.precision in AMP_DTYPES else nullcontext())
        with autocast:
            output = self.network(template, search, anno)
        loss, stats = self.criterion(output["boxes"], target)
        if self.corner_loss is not None:
            corner = self.corner_loss(target)
            loss = loss + optim.corner_map_weight * corner
            stats = dict(stats, loss=loss.item(), corner=corner.item())
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        if optim.grad_clip > 0:
            self.scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), optim.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        return stats

    def train(self, callback=None):
        """Run the remaining epochs. Returns 0 when finished, 128 + signal number when stopped.

        ``callback(trainer, stats)`` runs after every step (tests use it to stop mid-epoch).
        """
        config, context = self.config, self.context
        global_batch = config.optim.batch_size * context.world_size
        steps_per_epoch = self.batches.batches_per_epoch
        first_batch = math.ceil(self.samples_done / global_batch)
        progress = Progress(context.is_main, steps_per_epoch * config.optim.epochs,
                            self.epoch * steps_per_epoch + first_batch, global_batch, config.run.log_every,
                            open_tensorboard(os.path.join(config.run.output_dir, "tensorboard"))
                            if context.is_main and config.run.tensorboard else None)
        previous = self._install_signal_handlers()
        threads = torch.get_num_threads()
        if config.run.threads:
            torch.set_num_threads(config.run.threads)
        self.model.train()
        try:
            while self.epoch < config.optim.epochs:
                self.batches.set_epoch(self.epoch, first_batch)
                progress.start_epoch(self.epoch, config.optim.epochs, steps_per_epoch, first_batch)
                for batch_index, batch in enumerate(self.loader, start=first_batch):
                    stats = context.mean(self.step(batch))
                    self.samples_done = (batch_index + 1) * global_batch
                    progress.step(stats, self.optimizer.param_groups[0]["lr"])
                    if callback is not None:
                        callback(self, stats)
                    if context.any(self.stop_signal is not None):
                        progress.end_epoch()
                        path = self._save("interrupted.safetensors", stats["loss"])
                        progress.message(f"stopped after {self.samples_done} samples of epoch {self.epoch + 1}; "
                                         f"state saved to {path}; continue with --resume")
                        return 128 + int(self.stop_signal or signal.SIGINT)
                progress.end_epoch()
                context.share_buffers(self.model)
                context.check_same(self._weights_digest(), "set of weights")
                self.scheduler.step()
                self.epoch, self.samples_done, first_batch = self.epoch + 1, 0, 0
                path = self._save(f"epoch_{self.epoch:04d}.safetensors", progress.last.get("loss"))
                if context.is_main:
                    prune_epochs(config.run.output_dir, config.run.keep_epochs)
                    progress.message(f"epoch {self.epoch} done: loss {progress.last.get('loss', float('nan')):.4f}, "
                                     f"{progress.samples_per_second():.1f} samples/s; saved {path}")
            if context.is_main and config.run.export:
                save_checkpoint(self.model, config.run.export,
                                {"recipe": config.name, "epoch": self.epoch, "loss": progress.last.get("loss")})
                progress.message(f"final weights written to {config.run.export}")
            return 0
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            torch.set_num_threads(threads)
            progress.close()

    def _weights_digest(self):
        """A digest of every parameter and buffer, bit for bit (ranks of one DDP run never differ)."""
        digest = hashlib.sha256()
        for name, tensor in self.model.state_dict().items():
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().reshape(-1).contiguous().view(torch.uint8).numpy().tobytes())
        return digest.hexdigest()

    def close(self):
        """Leave the process group (several processes)."""
        self.context.close()
