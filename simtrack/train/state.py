"""Training checkpoints: model weights in our safetensors format plus a training-state file beside them.

``<output_dir>/checkpoints/``
  ``epoch_0007.safetensors``  weights after epoch 7 (loadable by ``simtrack.checkpoints``)
  ``interrupted.safetensors`` weights at the moment a run was stopped by SIGINT/SIGTERM
  ``last.state.pt``           optimiser, scheduler, AMP scaler, position (epoch, samples done in
                              it), recipe and variant, and the name of the weights file it goes
                              with. Plain tensors and containers only: ``torch.load(...,
                              weights_only=True)`` reads it.
Weights are written before the state that names them, both atomically, so ``last.state.pt``
always points at a complete weights file.
"""
from pathlib import Path

import torch

from ..checkpoint_checks import check_torch_file
from ..checkpoints import load_weights, read_failure, save_checkpoint
from ..errors import CheckpointError
from ..formats.atomic import replacing

STATE_FORMAT = "simtrack-train-state"
STATE_NAME = "last.state.pt"


def checkpoint_dir(output_dir):
    return Path(output_dir) / "checkpoints"


def save_state(model, output_dir, weights_name, state, metadata):
    """Write ``weights_name`` (safetensors) then ``last.state.pt`` pointing at it; returns the state path."""
    folder = checkpoint_dir(output_dir)
    save_checkpoint(model, folder / weights_name, metadata)
    path = folder / STATE_NAME
    with replacing(path) as temporary:
        torch.save(dict(state, format=STATE_FORMAT, weights=weights_name), temporary)
    return path


def prune_epochs(output_dir, keep):
    """Delete all but the ``keep`` newest epoch weight files (``keep`` 0 keeps everything)."""
    if keep <= 0:
        return
    for old in sorted(checkpoint_dir(output_dir).glob("epoch_*.safetensors"))[:-keep]:
        old.unlink()


def resume_path(output_dir, resume):
    """The state file to resume from: ``resume`` itself, or the run's ``last.state.pt`` for "auto"."""
    path = checkpoint_dir(output_dir) / STATE_NAME if resume == "auto" else Path(resume)
    if path.suffix == ".safetensors":
        raise CheckpointError(f"{path} holds weights only; resume from the training state file "
                              f"{path.parent / STATE_NAME} next to it")
    if not path.is_file():
        raise CheckpointError(f"no training state to resume at {path}; pass --resume PATH to a "
                              f"{STATE_NAME} file, or start without --resume")
    return path


def load_state(path, model):
    """Read a state file, check it belongs to ``model``'s variant, load the weights it names."""
    check_torch_file(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for foreign or corrupt files
        raise CheckpointError(f"cannot read training state {path} ({read_failure(error)}): it is damaged or not a "
                              f"last.state.pt written by python -m simtrack.train") from None
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
        raise CheckpointError(f"{path} is not a SimTrack training state (written by python -m simtrack.train)")
    expected = model.config.to_dict()
    if state["model_config"] != expected:
        differing = sorted(k for k in expected if state["model_config"].get(k) != expected[k])
        raise CheckpointError(f"{path} was written for variant {state['model_config'].get('name')!r} but the "
                              f"recipe trains variant {model.config.name!r} (differs in {', '.join(differing)}); "
                              f"resume with the recipe it came from, or start a new run in another output_dir")
    weights = Path(path).parent / state["weights"]
    load_weights(model, weights)
    return state
