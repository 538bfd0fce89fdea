"""Optimizers for a stack of models: one learning rate per model, and a stopped (diverged) model
never moves."""

import torch


def per_model(mask, p):
    """A (K,) tensor shaped to broadcast over a stacked parameter of shape (K, ...)."""
    return mask.view((-1,) + (1,) * (p.dim() - 1))


def _position(params, param) -> int:
    return next(i for i, p in enumerate(params) if p is param)


class StackedSGD:
    """SGD with momentum (PyTorch's definition) and one learning rate per model.

    SGD with momentum is linear in the gradient, so model k's learning rate is folded into its loss
    (``loss_weight``) and PyTorch's fused SGD kernel runs with lr=1: one pass over memory per
    parameter. The kernel is called directly: ``torch.optim.SGD`` gives the same numbers but imports
    torch._dynamo on its first step, a start-up cost in every training job.
    Weight decay adds lr * weight_decay * p to that scaled gradient (one more pass), as PyTorch
    adds weight_decay * p before its lr. A stopped (diverged) model gets its gradient and momentum
    zeroed, so it never moves again.
    """

    def __init__(self, params, lrs, settings):
        self.params, self.loss_weight, self.momentum = list(params), lrs, float(settings.momentum)
        self.decay = lrs * float(settings.weight_decay) if settings.weight_decay else None
        self.buffers = None  # momentum buffers, filled by the first step

    def clear_state(self, param, index):
        """Forget the momentum of ``param[index]`` (a recycled unit starts afresh)."""
        if self.buffers:
            self.buffers[_position(self.params, param)][index] = 0.0

    def step(self, active):
        grads = [p.grad for p in self.params]
        if self.decay is not None:
            for p, g in zip(self.params, grads):
                g.add_(per_model(self.decay, p) * p.detach())
        if not bool(active.all()):  # a diverged model's gradients may be NaN
            for i, (p, g) in enumerate(zip(self.params, grads)):
                stopped = per_model(~active, p)
                g.masked_fill_(stopped, 0.0)
                if self.buffers:
                    self.buffers[i].masked_fill_(stopped, 0.0)
        first = self.buffers is None
        if first:
            self.buffers = [torch.empty_like(g) for g in grads] if self.momentum else []
        torch._fused_sgd_(
            self.params,
            grads,
            self.buffers,
            weight_decay=0.0,
            momentum=self.momentum,
            lr=1.0,
            dampening=0.0,
            nesterov=False,
            maximize=False,
            is_first_step=first and bool(self.momentum),
        )


class StackedAdam:
    """Adam (PyTorch's definition) with one learning rate per model; stopped models get no
    update. Weight decay is PyTorch's Adam's (an L2 term in the gradient) or, with
    ``decoupled``, AdamW's (the weights shrink by lr * weight_decay before the step)."""

    decoupled = False

    def __init__(self, params, lrs, settings):
        self.params, self.lrs, self.betas = list(params), lrs, settings.betas
        self.eps, self.weight_decay = float(settings.eps), float(settings.weight_decay)
        self.loss_weight = torch.ones_like(lrs)
        self.first = [torch.zeros_like(p) for p in self.params]
        self.second = [torch.zeros_like(p) for p in self.params]
        self.t = 0

    def clear_state(self, param, index):
        """Forget both moments of ``param[index]`` (a recycled unit starts afresh)."""
        i = _position(self.params, param)
        self.first[i][index], self.second[i][index] = 0.0, 0.0

    def step(self, active):
        self.t += 1
        b1, b2 = self.betas
        rate = self.lrs * active
        for p, m, v in zip(self.params, self.first, self.second):
            g = torch.where(per_model(active, p), p.grad, 0.0)
            if self.weight_decay and self.decoupled:
                p.data.mul_(1 - per_model(rate, p) * self.weight_decay)
            elif self.weight_decay:
                g = g + per_model(active, p) * self.weight_decay * p.detach()
            m.lerp_(g, 1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            denom = (v / (1 - b2**self.t)).sqrt_().add_(self.eps)
            p.data.addcdiv_(per_model(rate, p) * m, denom, value=-1 / (1 - b1**self.t))


class StackedAdamW(StackedAdam):
    decoupled = True


OPTIMIZERS = {"sgd": StackedSGD, "adam": StackedAdam, "adamw": StackedAdamW}
