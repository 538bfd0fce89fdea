"""What a stack's probes record at init and after each probed epoch: curves, per-layer unit
statistics, each unit's history (inactive at init, ever inactive) for the became-inactive and
revived counts, and at init and the end the same units over the whole training set."""

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
    test set; ``record`` appends one row per model to ``curves`` and one per model and layer to
    ``layers``."""

    def __init__(self, model, data, settings):
        self.model, self.data, self.settings = model, data, settings
        self.x_probe = data.x_train[: settings.probe_size]
        self.y_probe = data.y_train[: settings.probe_size]
        self.prelus = [a for a in model.acts if isinstance(a, StackedPReLU)]
        self.curves, self.layers = [], []
        # units recycled by an intervention since the last probe, (hidden layers, models)
        self.recycled = torch.zeros(len(model.acts), model.n_models, dtype=torch.long)
        self.init_inactive = self.ever_inactive = self.ever_revived = None
        self.seconds, self.examples = (
            0.0,
            0,
        )  # time spent probing; examples each model's probes forward

    def record(self, epoch, active, train_loss, train_err, grad_mean, grad_max, whole_set=False):
        """Probe now: unit statistics on the probe set and a test pass. With ``whole_set`` the pass
        goes on over the rest of the training set (the probe set is its first chunk): layers gain
        ``inactive_full`` and ``dead_full`` (inactive, dead on every training example), curves
        ``train_loss_full`` and ``train_error_full``. ``train_loss`` None (at init) means the probe
        set stands in for the epoch's mean."""
        started = time.perf_counter()
        s, k, regression = self.settings, self.model.n_models, self.data.is_regression
        with torch.no_grad():
            out, pre, dphi = self._forward(self.x_probe)
            test_loss, test_err = loss_and_error(
                self.model(self.data.x_test), shared_targets(self.data.y_test, k), regression
            )
            if train_loss is None:
                train_loss, train_err = loss_and_error(
                    out, shared_targets(self.y_probe, k), regression
                )
            collapsed = probes.collapsed(out)
            stats = [
                probes.layer_stats(z, h, d, s.dead_threshold, s.dormant_tau)
                for (z, h), d in zip(pre, dphi)
            ]
            histories = self._unit_histories([st["inactive_mask"] for st in stats])
            first = self._chunk_sums(out, self.y_probe, pre, dphi) if whole_set else None
            del out, pre, dphi  # the whole-set pass holds one chunk's activations at a time
            full = self._whole_set(first) if whole_set else {}
        nan = torch.full((k,), math.nan)
        self.curves.append(
            pd.DataFrame(
                dict(
                    model=range(k),
                    epoch=epoch,
                    train_loss=_numpy(train_loss),
                    train_error=_numpy(train_err),
                    test_loss=_numpy(test_loss),
                    test_error=_numpy(test_err),
                    collapsed=_numpy(collapsed),
                    active=_numpy(active),
                    train_loss_full=_numpy(full.get("loss", nan)),
                    train_error_full=_numpy(full.get("error", nan)),
                )
            )
        )
        self.layers.append(self._layer_table(epoch, stats, histories, grad_mean, grad_max, full))
        self.seconds += time.perf_counter() - started
        self.examples += (len(self.data.x_train) if whole_set else len(self.x_probe)) + len(
            self.data.x_test
        )

    def _forward(self, x):
        """Outputs, each hidden layer's (pre-activation, activation) and phi'(pre-activation) on
        inputs ``x``."""
        out, pre = self.model(x, keep=True)
        return out, pre, [probes.derivative(act, z) for act, (z, _) in zip(self.model.acts, pre)]

    def _chunk_sums(self, out, y, pre, dphi):
        """Loss and error summed over one chunk of inputs, and per layer (K, W) masks of the units
        active, and passing gradient, on some input of it."""
        loss, err = loss_and_error(out, shared_targets(y, out.shape[0]), self.data.is_regression)
        fires = [~probes.inactive_units(z) for z, _ in pre]
        passes = [~probes.dead_units(d, self.settings.dead_threshold) for d in dphi]
        return loss * len(y), err * len(y), fires, passes

    def _whole_set(self, first):
        """Loss, error and never-active / never-passing fractions ((layers, K) each) over every
        training example, ``probe_size`` at a time, from the probe set's chunk sums (``first``)
        on."""
        x_train, y_train, chunk = self.data.x_train, self.data.y_train, len(self.x_probe)
        loss_sum, err_sum, fires, passes = first
        for start in range(chunk, len(x_train), chunk):
            x, y = x_train[start : start + chunk], y_train[start : start + chunk]
            out, pre, dphi = self._forward(x)
            loss, err, now_fires, now_passes = self._chunk_sums(out, y, pre, dphi)
            loss_sum, err_sum = loss_sum + loss, err_sum + err
            fires = [a | b for a, b in zip(fires, now_fires)]
            passes = [a | b for a, b in zip(passes, now_passes)]
        never = lambda masks: torch.stack([(~m).float().mean(dim=1) for m in masks])  # noqa: E731
        return dict(
            loss=loss_sum / len(x_train),
            error=err_sum / len(x_train),
            inactive_full=never(fires),
            dead_full=never(passes),
        )

    def _unit_histories(self, inactive):
        """Per layer and model, shares of units (inactive: one (K, W) mask per layer): inactive now
        and at init; inactive now but active at init; inactive at some probe so far; active now
        after being inactive at an earlier probe (revived); and active at some probe after being
        inactive at an earlier one (ever revived)."""
        if self.init_inactive is None:
            self.init_inactive, self.ever_inactive = inactive, [m.clone() for m in inactive]
            self.ever_revived = [torch.zeros_like(m) for m in inactive]
        revived = [~now & ever for now, ever in zip(inactive, self.ever_inactive)]
        for layer, (now, rev) in enumerate(zip(inactive, revived)):
            self.ever_revived[layer] |= rev
            self.ever_inactive[layer] |= now
        share = lambda masks: torch.stack([m.float().mean(-1) for m in masks])  # noqa: E731
        return dict(
            inactive_since_init=share([n & i for n, i in zip(inactive, self.init_inactive)]),
            became_inactive=share([n & ~i for n, i in zip(inactive, self.init_inactive)]),
            ever_inactive=share(self.ever_inactive),
            revived=share(revived),
            ever_revived=share(self.ever_revived),
        )

    def _layer_table(self, epoch, stats, histories, grad_mean, grad_max, full):
        depth, k = len(stats), self.model.n_models
        columns = {
            name: torch.stack([st[name] for st in stats])
            for name in stats[0]
            if name != "inactive_mask"
        }
        columns.update(histories, grad_norm_mean=grad_mean[:depth], grad_norm_max=grad_max[:depth])
        columns["recycled"], self.recycled = self.recycled, torch.zeros_like(self.recycled)
        for name in ("inactive_full", "dead_full"):
            columns[name] = full.get(name, torch.full((depth, k), math.nan))
        columns["prelu_slope"] = (
            torch.stack([a.weight.mean(dim=(1, 2)) for a in self.prelus])
            if self.prelus
            else torch.full((depth, k), math.nan)
        )
        table = pd.DataFrame({name: _numpy(values).reshape(-1) for name, values in columns.items()})
        table.insert(0, "units", torch.tensor(self.model.widths).repeat_interleave(k).numpy())
        table.insert(0, "layer", (torch.arange(depth).repeat_interleave(k) + 1).numpy())
        table.insert(0, "epoch", epoch)
        table.insert(0, "model", torch.arange(k).repeat(depth).numpy())
        return table

    def tables(self):
        """(curves, layers) over every probe so far."""
        return pd.concat(self.curves, ignore_index=True), pd.concat(self.layers, ignore_index=True)
