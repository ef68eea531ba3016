"""Training throughput of a recipe, split into its two halves: the data pipeline and the model step.

    python benchmarks/perf/train_throughput.py --config simtrack/configs/tiny_synthetic.yaml

``data``: samples/s the input pipeline makes in one process (sampling, frame loading or
rendering, augmentation, crops), with no model. ``model``: samples/s of optimiser steps
(forward, the recipe's loss, backward, clipping, AdamW) on one fixed batch, with no data loading. The loader keeps up
when ``data`` x workers is well above ``model``.
"""
import argparse
import time

import torch

from simtrack.cli import run_cli
from simtrack.cores import set_threads
from simtrack.model import build_model
from simtrack.train.config import load_config
from simtrack.train.data import PairDataset, build_processor, load_pools
from simtrack.train.loss import CornerMapLoss, TrackingLoss
from simtrack.train.optim import build_optimizer
from simtrack.train.sampler import MixedPairSampler


def data_rate(config, model_config, samples):
    pools, ratios = load_pools(config.data)
    dataset = PairDataset(MixedPairSampler(pools, ratios, config.data.max_gap),
                          build_processor(model_config, config.data), config.run.seed,
                          config.data.pairs_per_sequence)
    dataset[0]  # warm caches and lazy imports
    start = time.perf_counter()
    batch = [dataset[i] for i in range(1, samples + 1)]
    return samples / (time.perf_counter() - start), batch


def model_rate(config, model, batch, steps):
    optimizer, _ = build_optimizer(model, config.optim)
    criterion = TrackingLoss(config.optim.giou_weight, config.optim.l1_weight)
    corner_loss = CornerMapLoss(model) if config.optim.corner_map_weight else None
    inputs = {key: torch.stack([sample[key] for sample in batch]) for key in batch[0]}
    model.train()

    def step():
        output = model(inputs["template"], inputs["search"], inputs["template_anno"])
        loss, _ = criterion(output["boxes"], inputs["search_box"])
        if corner_loss is not None:
            loss = loss + config.optim.corner_map_weight * corner_loss(inputs["search_box"])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.optim.grad_clip)
        optimizer.step()

    step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * len(batch) / (time.perf_counter() - start)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--samples", type=int, default=None, help="data samples to time (default: one batch)")
    parser.add_argument("--steps", type=int, default=3, help="optimiser steps to time")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = parser.parse_args(argv)
    if args.threads:
        set_threads(args.threads)
    config = load_config(args.config)
    model = build_model(config.model.variant)
    samples = args.samples or config.optim.batch_size
    data, batch = data_rate(config, model.config, samples)
    batch = (batch * (config.optim.batch_size // len(batch) + 1))[:config.optim.batch_size]
    rate = model_rate(config, model, batch, args.steps)
    print(f"recipe {config.name}: variant {config.model.variant}, batch {config.optim.batch_size}, "
          f"{torch.get_num_threads()} torch threads")
    print(f"data pipeline: {data:8.1f} samples/s per worker ({config.data.workers} workers configured)")
    print(f"model step:    {rate:8.1f} samples/s")
    return 0


if __name__ == "__main__":
    run_cli(main)
