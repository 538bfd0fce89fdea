"""DeadUnitMonitor on an ordinary nn.Module gives the same fractions as the stacked probes."""

import pytest
import torch
from torch import nn

from deadunits import DeadUnitMonitor, StackedMLP, probes


def test_monitor_matches_stacked_probes_across_batches():
    stack = StackedMLP(4, 3, depth=3, width=16, activation={"fn": "relu"}, n_models=1)
    stack.initialise(
        {"fn": "he_normal", "bias": -1.5}, [0]
    )  # negative bias: some units die at init
    net = stack.export(0)
    x = torch.randn(300, 4, generator=torch.Generator().manual_seed(0))
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x, torch.zeros(300)), batch_size=64
    )
    with DeadUnitMonitor(net) as monitor:
        table = monitor.measure(loader)
    _, hidden = stack(x, keep=True)
    expected = [probes.layer_stats(z, h, (z > 0).float()) for z, h in hidden]
    assert table.layer.tolist() == ["1", "3", "5"] and (table.units == 16).all()
    assert table.inactive.tolist() == pytest.approx([e["inactive"].item() for e in expected])
    assert table.dead.tolist() == pytest.approx([e["dead"].item() for e in expected])
    assert table.dormant.tolist() == pytest.approx([e["dormant"].item() for e in expected])
    assert table.sparsity.tolist() == pytest.approx([e["sparsity"].item() for e in expected])
    assert table.inactive.max() > 0, "the negative bias silenced something"
    assert not net[1]._forward_hooks, "hooks removed on exit"
    with DeadUnitMonitor(net) as monitor:
        whole = monitor.measure(x)  # one tensor: one batch, not 300 single examples
    assert whole.units.tolist() == [16] * 3
    assert whole.inactive.tolist() == pytest.approx(table.inactive.tolist())


def test_monitor_needs_an_activation_module():
    with pytest.raises(ValueError, match="no activation module"):
        DeadUnitMonitor(nn.Linear(2, 2))
