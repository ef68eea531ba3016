"""SimTrack's training loss: weighted GIoU + L1 on corner boxes normalised to the search crop."""
import torch


def cxcywh_to_xyxy(boxes):
    cx, cy, w, h = boxes.unbind(-1)
    return torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], -1)


def xywh_to_xyxy(boxes):
    x, y, w, h = boxes.unbind(-1)
    return torch.stack([x, y, x + w, y + h], -1)


def paired_giou(pred, target):
    """Generalised IoU and IoU of matching rows of two (N, 4) xyxy box sets."""
    area_p = (pred[:, 2] - pred[:, 0]) * (pred[:, 3] - pred[:, 1])
    area_t = (target[:, 2] - target[:, 0]) * (target[:, 3] - target[:, 1])
    inter_wh = (torch.minimum(pred[:, 2:], target[:, 2:]) - torch.maximum(pred[:, :2], target[:, :2])).clamp(min=0)
    inter = inter_wh[:, 0] * inter_wh[:, 1]
    union = area_p + area_t - inter
    iou = inter / union
    hull_wh = (torch.maximum(pred[:, 2:], target[:, 2:]) - torch.minimum(pred[:, :2], target[:, :2])).clamp(min=0)
    hull = hull_wh[:, 0] * hull_wh[:, 1]
    return iou - (hull - union) / hull, iou


class TrackingLoss:
    """``giou_weight * mean(1 - GIoU) + l1_weight * mean |pred - gt|`` over xyxy boxes.

    As in the reference, the GIoU term is dropped for a batch in which some predicted box is
    degenerate (a right/bottom corner left of/above its top-left one); L1 still trains it.
    """

    def __init__(self, giou_weight=2.0, l1_weight=5.0):
        self.giou_weight, self.l1_weight = giou_weight, l1_weight

    def __call__(self, pred_cxcywh, gt_xywh):
        """Returns the scalar loss and a dict of float statistics (giou, l1, iou)."""
        pred = cxcywh_to_xyxy(pred_cxcywh.float())
        gt = xywh_to_xyxy(gt_xywh.float()).clamp(0.0, 1.0)
        l1 = (pred - gt).abs().mean()
        degenerate = bool((pred[:, 2:] < pred[:, :2]).any())
        if degenerate:
            giou_loss = pred.new_zeros(())
            with torch.no_grad():
                iou = paired_giou(pred, gt)[1].nan_to_num(0.0).mean()
        else:
            giou, iou = paired_giou(pred, gt)
            giou_loss, iou = (1 - giou).mean(), iou.detach().mean()
        loss = self.giou_weight * giou_loss + self.l1_weight * l1
        return loss, {"loss": loss.item(), "giou": giou_loss.item(), "l1": l1.item(), "iou": iou.item()}


def corner_targets(points, grid):
    """Soft one-hot (B, grid*grid) over the corner head's cells whose expectation is ``points``.

    ``points`` (B, 2) are normalised x, y; cell ``i`` of the head sits at ``i / grid``. Each axis
    splits its mass between the two nearest cells (linear interpolation), so the soft-argmax of the
    target map is the point itself (clamped to the reachable range).
    """
    index = (points * grid).clamp(0, grid - 1)
    low = index.floor().clamp(max=grid - 2)
    high_weight = index - low
    axes = []
    for axis in range(2):
        weights = points.new_zeros(points.shape[0], grid)
        weights.scatter_(1, low[:, axis:axis + 1].long(), (1 - high_weight[:, axis:axis + 1]))
        weights.scatter_add_(1, low[:, axis:axis + 1].long() + 1, high_weight[:, axis:axis + 1])
        axes.append(weights)
    return (axes[1][:, :, None] * axes[0][:, None, :]).flatten(1)   # row-major: y slow, x fast


class CornerMapLoss:
    """Cross-entropy of the head's corner score maps against ``corner_targets`` of the ground truth.

    Not part of the reference objective (its weight defaults to 0). Training from scratch, it gives
    the corner maps a direct signal instead of only the gradient through their soft-argmax.
    Score maps are captured with forward hooks on the head's last convolutions.
    """

    def __init__(self, model):
        self.grid = model.config.search_grid
        self.maps = {}
        self.hooks = [getattr(model.box_head, f"conv5_{corner}").register_forward_hook(self._keep(corner))
                      for corner in ("tl", "br")]

    def _keep(self, corner):
        def hook(_module, _inputs, output):
            self.maps[corner] = output
        return hook

    def __call__(self, gt_xywh):
        gt = xywh_to_xyxy(gt_xywh.float()).clamp(0.0, 1.0)
        total = 0
        for corner, points in (("tl", gt[:, :2]), ("br", gt[:, 2:])):
            logits = self.maps.pop(corner).reshape(gt.shape[0], -1).float()
            total = total - (corner_targets(points, self.grid) * torch.log_softmax(logits, 1)).sum(1).mean()
        return total / 2
