"""Experiments that train, edit the units (deadunits/surgery.py), and train on from the same
weights: do killed units come back under a leak (the source texts' claim), and what does a dead unit
cost?

Each takes its config section (``revival:`` or ``dead_cost:``), the dataset and the registry entries
it names, and returns one row per model and arm."""

import pandas as pd
import torch

from deadunits import surgery
from deadunits.losses import loss_and_error, shared_targets
from deadunits.stack import StackedMLP
from deadunits.trainer import TrainSettings, train_stack


def _errors(model, x, y, regression):
    with torch.no_grad():
        return (
            loss_and_error(model(x), shared_targets(y, model.n_models), regression)[1].cpu().numpy()
        )


def _share_of_all(masks):
    """Per model, the share of all hidden units that ``masks`` marks."""
    return _share(masks, [torch.ones_like(m) for m in masks])


def _share(masks, of):
    """Per model, the share of the units in ``of`` that ``masks`` marks."""
    hit = sum((m & o).sum(1) for m, o in zip(masks, of)).float()
    return (hit / sum(o.sum(1) for o in of).clamp_min(1)).cpu().numpy()


def _train(data, spec, activation, init, settings, start=None, lr=None, epochs=None):
    """One stack of ``spec["seeds"]`` models at one lr; ``spec`` names depth, width, optimizer, lr
    and epochs (``lr`` and ``epochs`` override them)."""
    s = TrainSettings(
        **{
            **settings,
            "epochs": epochs or spec["epochs"],
            "optimizer": spec.get("optimizer", "sgd"),
        }
    )
    return train_stack(
        data,
        depth=spec["depth"],
        width=spec["width"],
        activation=activation,
        init=init,
        lrs=[lr or spec["lr"]],
        seeds=range(spec["seeds"]),
        settings=s,
        start=start,
    )


def _state(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def revival(data, spec: dict, activations: dict, init: dict, settings: dict) -> pd.DataFrame:
    """Train ReLU nets, kill a share of their units (pre-activation below 0 on every training
    input), then train on from the same weights with each activation; per model: the share of the
    killed units still inactive at the start of the second phase that fire on some training input at
    its end (revived), and test error after it."""
    before, after = spec["epochs"]
    relu = _train(data, spec, activations["relu"], init, settings, epochs=before).model
    seeds = list(range(spec["seeds"]))
    killed = surgery.kill(relu, data.x_train, spec["kill_share"], seeds)
    start, rows = _state(relu), []
    for name, activation in activations.items():
        model = StackedMLP(
            data.in_dim, data.out_dim, spec["depth"], spec["width"], activation, len(seeds)
        )
        model.initialise(init, seeds)
        model.load_state_dict(start, strict=False)
        dead_at_start = [m & k for m, k in zip(surgery.never_active(model, data.x_train), killed)]
        model = _train(data, spec, activation, init, settings, start=start, epochs=after).model
        fire = [~m for m in surgery.never_active(model, data.x_train)]
        rows.append(
            pd.DataFrame(
                dict(
                    activation=name,
                    seed=seeds,
                    killed=sum(m.sum(1) for m in dead_at_start).cpu().numpy(),
                    revived=_share(fire, dead_at_start),
                    revived_first_layer=_share(fire[:1], dead_at_start[:1]),
                    test_error=_errors(model, data.x_test, data.y_test, data.is_regression),
                )
            )
        )
    return pd.concat(rows, ignore_index=True)


def ablation(data, spec: dict, activation: dict, init: dict, settings: dict) -> pd.DataFrame:
    """Per model of a stack trained as ``spec`` says: the share of units dead (never active) on the
    training set, training and test error before and after those units are ablated, and the test
    error and dead share of a net as wide as the live units (``narrow_width``, from the mean
    dead share) trained alike from the same seed."""
    result = _train(data, spec, activation, init, settings)
    model, x, y, regression = result.model, data.x_train, data.y_train, data.is_regression
    dead = surgery.never_active(model, x)
    row = dict(
        setup="ablate",
        seed=range(spec["seeds"]),
        outcome=result.runs.outcome.to_numpy(),
        dead=_share_of_all(dead),
        train_error=_errors(model, x, y, regression),
        test_error=_errors(model, data.x_test, data.y_test, regression),
    )
    surgery.ablate(model, dead)
    row["ablated_train_error"] = _errors(model, x, y, regression)
    row["ablated_test_error"] = _errors(model, data.x_test, data.y_test, regression)
    narrow_spec = dict(spec, width=max(1, round((1 - row["dead"].mean()) * spec["width"])))
    narrow = _train(data, narrow_spec, activation, init, settings).model
    narrow_dead = surgery.never_active(narrow, x)
    row["narrow_width"] = narrow_spec["width"]
    row["narrow_dead"] = _share_of_all(narrow_dead)
    row["narrow_test_error"] = _errors(narrow, data.x_test, data.y_test, regression)
    return pd.DataFrame(row)


def recovery(data, spec: dict, activation: dict, init: dict, settings: dict) -> pd.DataFrame:
    """Train nets as ``spec`` says (a learning rate at which many fail), then train on as
    ``spec["then"]`` says, from the same weights: as they are, and with their dead units
    re-initialised (ReDo's recycling). Per model: outcome and dead share after the first phase,
    final training error and dead share of each arm."""
    result = _train(data, spec, activation, init, settings)
    model, x, y, seeds = result.model, data.x_train, data.y_train, list(range(spec["seeds"]))
    dead = surgery.never_active(model, x)
    row = dict(
        setup="recover",
        seed=seeds,
        outcome=result.runs.outcome.to_numpy(),
        dead=_share_of_all(dead),
        train_error=_errors(model, x, y, data.is_regression),
    )
    start, then = _state(model), {**spec, **spec["then"]}
    for arm in ("as_is", "reinit"):
        model.load_state_dict(start)
        if arm == "reinit":
            surgery.reinit(model, dead, init, seeds)
        on = _train(data, then, activation, init, settings, start=_state(model))
        row[f"{arm}_train_error"] = _errors(on.model, x, y, data.is_regression)
        row[f"{arm}_dead"] = _share_of_all(surgery.never_active(on.model, x))
        row[f"{arm}_diverged"] = on.runs.diverged.to_numpy()
    return pd.DataFrame(row)
