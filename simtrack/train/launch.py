"""How this training process was launched: alone, by torchrun, or as one task of ``srun``.

torchrun sets ``RANK``/``WORLD_SIZE``/``LOCAL_RANK``/``MASTER_ADDR``/``MASTER_PORT``. ``srun python -m
simtrack.train`` (no torchrun) gives every task ``SLURM_PROCID``, ``SLURM_STEP_NUM_TASKS`` and
``SLURM_LOCALID``; the tasks meet at the first node of the step (task 0 runs there with Slurm's
block distribution) unless ``MASTER_ADDR`` says otherwise, on ``MASTER_PORT`` or a port derived
from the job id, so that all tasks agree without talking first. A process that sees several tasks
of another launcher (mpirun) but no torchrun variables is refused, so that N copies never train N
separate models into one output folder.
"""
import re
from dataclasses import dataclass
from typing import Optional

from ..errors import ConfigError

SRUN_COMMAND = "srun python -m simtrack.train --config RECIPE"
TORCHRUN_COMMAND = ("torchrun --nnodes N --nproc_per_node G --rdzv_backend c10d --rdzv_endpoint HOST:29500 "
                    "-m simtrack.train --config RECIPE")
_SPECIAL_STEPS = 0xFFFFFFF0    # Slurm's batch, extern, interactive... steps have ids above this
_PORT_BASE, _PORT_SPAN = 20000, 20000


@dataclass(frozen=True)
class Launch:
    """This process's place among the training processes; ``init_method`` None means torchrun's env://."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    launcher: str = "single process"
    init_method: Optional[str] = None


def first_host(nodelist):
    """The first host of a Slurm host list: ``"gpu[07-09,12],cpu1"`` -> ``"gpu07"``."""
    if not nodelist:
        return None
    depth, end = 0, len(nodelist)
    for position, char in enumerate(nodelist):
        depth += (char == "[") - (char == "]")
        if char == "," and depth == 0:
            end = position
            break
    return re.sub(r"\[([^\]]*)\]", lambda match: re.split(r"[,-]", match.group(1))[0], nodelist[:end]) or None


def read_launch(environ):
    """The ``Launch`` that ``environ`` (the process environment) describes."""
    if "WORLD_SIZE" in environ:
        return Launch(int(environ.get("RANK", 0)), int(environ["WORLD_SIZE"]), int(environ.get("LOCAL_RANK", 0)),
                      "torchrun")
    tasks = int(environ.get("SLURM_STEP_NUM_TASKS") or 1)
    step = int(environ.get("SLURM_STEP_ID", 0) or 0)
    if tasks > 1 and "SLURM_PROCID" in environ and step < _SPECIAL_STEPS:
        return _srun_launch(environ, tasks)
    for variable in ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"):
        if int(environ.get(variable) or 1) > 1:
            raise ConfigError(f"{variable}={environ[variable]}: this process is one of several started by another "
                              f"launcher, which would train separate models into one output folder; launch with "
                              f"torchrun ({TORCHRUN_COMMAND}) or, under Slurm, {SRUN_COMMAND}")
    return Launch()


def _srun_launch(environ, tasks):
    address = environ.get("MASTER_ADDR") or first_host(environ.get("SLURM_STEP_NODELIST")) \
        or first_host(environ.get("SLURM_JOB_NODELIST")) or environ.get("SLURM_LAUNCH_NODE_IPADDR")
    if not address:
        raise ConfigError(f"srun started {tasks} tasks but none of MASTER_ADDR, SLURM_STEP_NODELIST, "
                          f"SLURM_JOB_NODELIST names the node of task 0; set MASTER_ADDR, or launch one torchrun "
                          f"per node: srun --ntasks-per-node 1 {TORCHRUN_COMMAND}")
    port = environ.get("MASTER_PORT") or _PORT_BASE + int(environ.get("SLURM_JOB_ID", 0) or 0) % _PORT_SPAN
    host = f"[{address}]" if ":" in address else address
    return Launch(int(environ["SLURM_PROCID"]), tasks, int(environ.get("SLURM_LOCALID", 0)), "srun",
                  f"tcp://{host}:{port}")
