"""AdamW with SimTrack's three parameter groups, and the step learning-rate schedule."""
import torch

TEMPLATE_POSITION = "backbone.template_pos."


def parameter_groups(model, lr, backbone_lr_mult):
    """Head and bottleneck at ``lr``; the template position MLP at ``lr``; the rest of the backbone scaled.

    The position MLP is new in SimTrack (no pre-trained weights), so it learns at the full rate
    like the head while the pre-trained ViT gets ``lr * backbone_lr_mult``.
    """
    head, position, backbone = [], [], []
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        if name.startswith(TEMPLATE_POSITION):
            position.append(parameter)
        elif name.startswith("backbone."):
            backbone.append(parameter)
        else:
            head.append(parameter)
    return [{"params": head, "lr": lr, "name": "head"},
            {"params": position, "lr": lr, "name": "template_position"},
            {"params": backbone, "lr": lr * backbone_lr_mult, "name": "backbone"}]


def build_optimizer(model, optim):
    """AdamW (weight decay on every parameter, as the reference) and StepLR stepped per epoch."""
    optimizer = torch.optim.AdamW(parameter_groups(model, optim.lr, optim.backbone_lr_mult),
                                  lr=optim.lr, weight_decay=optim.weight_decay)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=optim.lr_drop_epoch, gamma=optim.lr_gamma)
    return optimizer, scheduler
