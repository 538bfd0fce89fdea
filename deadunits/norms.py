"""Normalization layers for a stack of models, placed before the activation: each model normalizes
with its own statistics and affine parameters, on activations laid out (models, units, batch).
Each exports to the PyTorch module that computes the same for one model."""

import torch
from torch import nn

from deadunits.registry import Registry

EPS = 1e-5  # PyTorch's default for both


class StackedLayerNorm(nn.Module):
    """nn.LayerNorm over a layer's units, per model and example."""

    def __init__(self, n_models: int, width: int):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n_models, width, 1))
        self.bias = nn.Parameter(torch.zeros(n_models, width, 1))

    def forward(self, z):
        mean = z.mean(1, keepdim=True)
        var = z.var(1, unbiased=False, keepdim=True)
        return (z - mean) / torch.sqrt(var + EPS) * self.weight + self.bias

    def export(self, i: int) -> nn.Module:
        norm = nn.LayerNorm(self.weight.shape[1], eps=EPS)
        norm.weight.data.copy_(self.weight.detach()[i, :, 0])
        norm.bias.data.copy_(self.bias.detach()[i, :, 0])
        return norm


class StackedBatchNorm(nn.Module):
    """nn.BatchNorm1d per model: in training, each model's batch statistics (and its running
    statistics updated as PyTorch does, momentum 0.1, unbiased variance); in eval mode (probes,
    validation, test) its running statistics, as the net predicts."""

    def __init__(self, n_models: int, width: int, momentum: float = 0.1):
        super().__init__()
        self.momentum = momentum
        self.weight = nn.Parameter(torch.ones(n_models, width, 1))
        self.bias = nn.Parameter(torch.zeros(n_models, width, 1))
        self.register_buffer("running_mean", torch.zeros(n_models, width, 1))
        self.register_buffer("running_var", torch.ones(n_models, width, 1))

    def forward(self, z):
        if self.training:
            mean, var = z.mean(2, keepdim=True), z.var(2, unbiased=False, keepdim=True)
            with torch.no_grad():
                n = z.shape[2]
                self.running_mean.lerp_(mean, self.momentum)
                self.running_var.lerp_(var * n / max(n - 1, 1), self.momentum)
        else:
            mean, var = self.running_mean, self.running_var
        return (z - mean) / torch.sqrt(var + EPS) * self.weight + self.bias

    def export(self, i: int) -> nn.Module:
        norm = nn.BatchNorm1d(self.weight.shape[1], eps=EPS, momentum=self.momentum)
        norm.weight.data.copy_(self.weight.detach()[i, :, 0])
        norm.bias.data.copy_(self.bias.detach()[i, :, 0])
        norm.running_mean.copy_(self.running_mean[i, :, 0])
        norm.running_var.copy_(self.running_var[i, :, 0])
        return norm.eval()


NORMS = Registry("norm")
NORMS.update(layernorm=StackedLayerNorm, batchnorm=StackedBatchNorm)
