"""What a stack's probes record at init and after each probed epoch: curves, per-layer unit
statistics, and each unit's history (inactive at init, ever inactive) for the became-inactive and revived counts."""
import math
import time

import pandas as pd
import torch

from deadunits import probes
from deadunits.activations import StackedPReLU
from deadunits.losses import loss_and_error, shared_targets


def _numpy(t):
    return t.detach().cpu().numpy()


class ProbeRecorder:
    """Probes one stack on the fixed probe set (the first ``probe_size`` training examples) and the
    test set; ``record`` appends one row per model to ``curves`` and one per model and layer to ``layers``."""

    def __init__(self, model, data, settings):
        self.model, self.data, self.settings = model, data, settings
        self.x_probe = data.x_train[: settings.probe_size]
        self.y_probe = data.y_train[: settings.probe_size]
        self.prelus = [a for a in model.acts if isinstance(a, StackedPReLU)]
        self.curves, self.layers = [], []
        self.init_inactive = self.ever_inactive = self.ever_revived = None
        self.seconds, self.examples = 0.0, 0  # time spent probing; examples each model's probes forward

    def record(self, epoch, active, train_loss, train_err, grad_mean, grad_max):
        """Probe now; ``train_loss`` None (at init) means the probe set stands in for the training set.
        Returns the (K,) mask of models whose output is constant over the probe set."""
        started = time.perf_counter()
        with torch.no_grad():
            out, pre = self.model(self.x_probe, keep=True)
            k, regression = self.model.n_models, self.data.is_regression
            test_loss, test_err = loss_and_error(self.model(self.data.x_test), shared_targets(self.data.y_test, k),
                                                 regression)
            if train_loss is None:
                train_loss, train_err = loss_and_error(out, shared_targets(self.y_probe, k), regression)
            collapsed = probes.collapsed(out)
            s = self.settings
            stats = [probes.layer_stats(z, h, probes.derivative(act, z), s.dead_threshold, s.dormant_tau)
                     for act, (z, h) in zip(self.model.acts, pre)]
            histories = self._unit_histories([st["inactive_mask"] for st in stats])
        self.curves.append(pd.DataFrame(dict(
            model=range(k), epoch=epoch, train_loss=_numpy(train_loss), train_error=_numpy(train_err),
            test_loss=_numpy(test_loss), test_error=_numpy(test_err), collapsed=_numpy(collapsed),
            active=_numpy(active))))
        self.layers.append(self._layer_table(epoch, stats, histories, grad_mean, grad_max))
        self.seconds += time.perf_counter() - started
        self.examples += len(self.x_probe) + len(self.data.x_test)
        return collapsed

    def _unit_histories(self, inactive):
        """Per layer and model, shares of units (inactive: one (K, W) mask per layer): inactive now and at init;
        inactive now but active at init; inactive at some probe so far; active now after being inactive at an
        earlier probe (revived); and active at some probe after being inactive at an earlier one (ever revived)."""
        if self.init_inactive is None:
            self.init_inactive, self.ever_inactive = inactive, [m.clone() for m in inactive]
            self.ever_revived = [torch.zeros_like(m) for m in inactive]
        revived = [~now & ever for now, ever in zip(inactive, self.ever_inactive)]
        for layer, (now, rev) in enumerate(zip(inactive, revived)):
            self.ever_revived[layer] |= rev
            self.ever_inactive[layer] |= now
        share = lambda masks: torch.stack([m.float().mean(-1) for m in masks])  # noqa: E731
        return dict(inactive_since_init=share([n & i for n, i in zip(inactive, self.init_inactive)]),
                    became_inactive=share([n & ~i for n, i in zip(inactive, self.init_inactive)]),
                    ever_inactive=share(self.ever_inactive), revived=share(revived), ever_revived=share(self.ever_revived))

    def _layer_table(self, epoch, stats, histories, grad_mean, grad_max):
        depth, k = len(stats), self.model.n_models
        columns = {name: torch.stack([st[name] for st in stats]) for name in stats[0] if name != "inactive_mask"}
        columns.update(histories, grad_norm_mean=grad_mean[:depth], grad_norm_max=grad_max[:depth])
        columns["prelu_slope"] = (torch.stack([a.weight.mean(dim=(1, 2)) for a in self.prelus]) if self.prelus
                                  else torch.full((depth, k), math.nan))
        table = pd.DataFrame({name: _numpy(values).reshape(-1) for name, values in columns.items()})
        table.insert(0, "units", torch.tensor(self.model.widths).repeat_interleave(k).numpy())
        table.insert(0, "layer", (torch.arange(depth).repeat_interleave(k) + 1).numpy())
        table.insert(0, "epoch", epoch)
        table.insert(0, "model", torch.arange(k).repeat(depth).numpy())
        return table

    def tables(self):
        """(curves, layers) over every probe so far."""
        return pd.concat(self.curves, ignore_index=True), pd.concat(self.layers, ignore_index=True)
