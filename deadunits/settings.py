"""Everything about training and probing that is not the architecture: the settings a config's
``defaults`` and ``settings`` entries fill. No torch here, so a config is checked without it."""

from dataclasses import dataclass, field

# deadunits/optimizers.py implements each, with these hyper-parameters (set by optimizers: entries)
OPTIMIZER_OPTIONS = {
    "sgd": ("momentum", "weight_decay"),
    "adam": ("betas", "eps", "weight_decay"),
    "adamw": ("betas", "eps", "weight_decay"),
}
OPTIMIZER_NAMES = tuple(OPTIMIZER_OPTIONS)
INTERVENTION_NAMES = ("redo", "shrink_perturb")  # deadunits/interventions.py implements each


@dataclass
class TrainSettings:
    """Everything about training and probing that is not the architecture. Defaults match
    config.yaml."""

    epochs: int = 10
    batch_size: int = 64
    optimizer: str = "sgd"  # "sgd" (with momentum), "adam", or "adamw" (decoupled weight decay)
    momentum: float = 0.9  # sgd
    betas: tuple = (0.9, 0.999)  # adam, adamw
    eps: float = 1e-8  # adam, adamw
    weight_decay: float = 0.0  # sgd and adam: an L2 term in the gradient; adamw: decoupled
    target: dict = field(default_factory=lambda: {"metric": "error", "value": 0.1})
    probe_size: int = 512  # training examples (the first ones, fixed) that the unit probes look at
    dead_threshold: float = 1e-3  # a unit is dead when |phi'(z)| is below this on every input
    dormant_tau: float = 0.1
    explode_factor: float = (
        100.0  # a step "explodes" when a layer's gradient norm exceeds this x its norm at init
    )
    ema: float = 0.9  # smoothing of the minibatch metric that decides steps_to_target
    # during training, every ``every`` steps: {fn: redo, every: 500, tau: 0.0} or
    # {fn: shrink_perturb, every: 500, shrink: 0.8, noise: 0.01}; None: no intervention
    intervention: dict | None = None
    probe_epochs: str | list = (
        "log"  # "log": 0, 1, 2, 4, 8, ... and the last; "all"; or a list of epochs
    )

    def __post_init__(self):
        if self.optimizer not in OPTIMIZER_NAMES:
            raise ValueError(f"optimizer {self.optimizer!r}; expected one of {OPTIMIZER_NAMES}")
        if self.target.get("metric") not in ("error", "loss"):
            raise ValueError(
                f"target metric {self.target.get('metric')!r}; expected 'error' or 'loss'"
            )
        if self.intervention is not None:
            fn, every = self.intervention.get("fn"), self.intervention.get("every")
            if fn not in INTERVENTION_NAMES or not (isinstance(every, int) and every >= 1):
                raise ValueError(
                    f"intervention {self.intervention!r}; expected fn one of {INTERVENTION_NAMES} "
                    "and every: a number of steps >= 1"
                )
        if not self.weight_decay >= 0:
            raise ValueError(f"weight_decay = {self.weight_decay}; expected a number >= 0")
        for name in ("epochs", "batch_size", "probe_size"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} = {getattr(self, name)}; expected a positive integer")
        self.probe_schedule()  # raises on a bad probe_epochs

    def probe_schedule(self) -> list:
        """The epochs after which the units are probed: always 0 (init) and the last epoch."""
        spec, last = self.probe_epochs, int(self.epochs)
        if spec == "log":
            chosen = {2**i for i in range(last.bit_length())}
        elif spec == "all":
            chosen = set(range(1, last + 1))
        elif isinstance(spec, (list, tuple)) and all(
            isinstance(e, int) and 0 <= e <= last for e in spec
        ):
            chosen = set(spec)
        else:
            raise ValueError(
                f"probe_epochs = {spec!r}; expected 'log', 'all' or a list of epochs "
                f"between 0 and {last}"
            )
        return sorted(chosen | {0, last})
