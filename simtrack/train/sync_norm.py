"""BatchNorm whose training statistics span every process (``run.sync_batchnorm``).

The corner head normalises with BatchNorm. Under DDP each process otherwise normalises over its
own ``batch_size`` samples, so N processes x B samples train differently from one process with
N*B. With this layer the mean and variance of each channel are taken over the global batch (two
differentiable all-reduces per layer and step, so gradients flow across processes too), which
makes N x B train like 1 x N*B up to rounding. Unlike ``torch.nn.SyncBatchNorm`` it also runs on
the CPU with gloo, so the equivalence is tested here; weights and buffers keep their names, so
checkpoints do not change.
"""
import torch
import torch.distributed as dist
from torch import nn


class SyncBatchNorm2d(nn.BatchNorm2d):
    """``nn.BatchNorm2d`` with statistics over all processes while training under a process group."""

    def forward(self, x):
        if not (self.training and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
            return super().forward(x)
        shape = (1, -1, 1, 1)
        values = x.float()
        count = torch.tensor([values.numel() / values.shape[1]], device=x.device)
        total = _SumOverProcesses.apply(torch.cat([values.sum((0, 2, 3)), count]))
        samples = total[-1]
        mean = total[:-1] / samples
        centred = values - mean.view(shape)
        var = _SumOverProcesses.apply((centred * centred).sum((0, 2, 3))) / samples
        if self.track_running_stats:
            self._update_running_stats(mean.detach(), var.detach() * samples / (samples - 1).clamp(min=1))
        output = centred * torch.rsqrt(var.view(shape) + self.eps)
        if self.affine:
            output = output * self.weight.view(shape) + self.bias.view(shape)
        return output.to(x.dtype)

    @torch.no_grad()
    def _update_running_stats(self, mean, unbiased_var):
        self.num_batches_tracked += 1
        factor = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)
        self.running_mean.lerp_(mean.to(self.running_mean.dtype), factor)
        self.running_var.lerp_(unbiased_var.to(self.running_var.dtype), factor)


class _SumOverProcesses(torch.autograd.Function):
    """All-reduce (sum) whose gradient is the all-reduced gradient: each process's input feeds every loss."""

    @staticmethod
    def forward(ctx, tensor):
        total = tensor.clone()
        dist.all_reduce(total)
        return total

    @staticmethod
    def backward(ctx, grad):
        total = grad.clone()
        dist.all_reduce(total)
        return total


def synchronise_batchnorm(model):
    """Replace every ``nn.BatchNorm2d`` of ``model`` by a ``SyncBatchNorm2d`` with the same state."""
    for name, module in list(model.named_children()):
        if type(module) is nn.BatchNorm2d:
            state = module.state_dict()
            synced = SyncBatchNorm2d(module.num_features, module.eps, module.momentum, module.affine,
                                     module.track_running_stats)
            synced.load_state_dict(state)
            synced.to(next(iter(state.values())).device if state else "cpu").train(module.training)
            setattr(model, name, synced)
        else:
            synchronise_batchnorm(module)
    return model
