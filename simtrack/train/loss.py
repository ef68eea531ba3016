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
