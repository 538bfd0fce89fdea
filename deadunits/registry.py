"""Name -> builder tables, so that a new activation, init or dataset is one entry in one place."""

import importlib
import inspect


class Registry(dict):
    """A dict of builders whose missing keys raise an error listing the known names."""

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    def register(self, name: str):
        def add(builder):
            self[name] = builder
            return builder

        return add

    def get(self, name):
        if name not in self:
            raise KeyError(f"unknown {self.kind} {name!r}; known: {', '.join(sorted(self))}")
        return self[name]

    def check_kwargs(self, name: str, kwargs: dict, skip=("seed",)) -> None:
        """Fail before any work when an entry is given keyword arguments its builder does not
        take."""
        params = inspect.signature(self.get(name)).parameters
        if any(p.kind is p.VAR_KEYWORD for p in params.values()):
            return
        bad = sorted(set(kwargs) - set(params))
        if bad:
            known = [p for p in params if p not in skip]
            raise TypeError(
                f"{self.kind} {name!r} takes no argument {', '.join(map(repr, bad))}; "
                f"it takes: {known}"
            )


def import_object(path: str):
    """Resolve ``"package.module:Name"`` (for example ``"torch.nn:Hardswish"``)."""
    module_name, _, attr = path.partition(":")
    if not attr:
        raise ValueError(f"import path {path!r} must look like 'module:Name'")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"cannot import {path!r}: {err}") from None
