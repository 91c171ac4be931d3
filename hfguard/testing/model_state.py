"""A model changed in place for one check (train mode for a training step, gradient checkpointing, bfloat16),
then put back exactly as it was: cheaper than a deep copy, which for a model of hundreds of modules costs more
than the step itself."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def restored(model: Any) -> Iterator[Any]:
    """``model``, and after the block ``model`` as it was: the attributes of every module and config, and the
    contents of their plain dicts and lists (modes, caches, hooks, submodule, parameter and buffer slots, a
    ``problem_type`` a loss sets), the data and values of every parameter and buffer (a conversion swaps the data;
    a training forward updates batch-norm statistics and codebooks in place), and no gradients."""
    import torch

    modules = list(model.modules())
    saved = [(obj, dict(vars(obj)), {name: value.copy() for name, value in vars(obj).items() if type(value) in _CONTAINERS})
             for obj in [*modules, *_configs(modules)]]
    tensors = [(tensor, tensor.data, tensor.detach().clone()) for module in modules
               for slots in (module._parameters, module._buffers) for tensor in slots.values() if tensor is not None]
    try:
        yield model
    finally:
        for obj, attributes, contents in saved:
            vars(obj).clear()
            vars(obj).update(attributes)
            for name, items in contents.items():
                attributes[name].clear()
                attributes[name].update(items) if isinstance(items, dict) else attributes[name].extend(items)
        with torch.no_grad():
            for tensor, data, value in tensors:
                tensor.data = data
                data.copy_(value)
        for parameter in model.parameters():
            parameter.grad = None


_CONTAINERS = (dict, OrderedDict, list)


def _configs(modules: list[Any]) -> list[Any]:
    """Every config object the modules hold, with the sub-configs inside them."""
    from transformers import PreTrainedConfig

    found: dict[int, Any] = {}
    pending = [getattr(module, "config", None) for module in modules]
    while pending:
        config = pending.pop()
        if isinstance(config, PreTrainedConfig) and id(config) not in found:
            found[id(config)] = config
            pending.extend(vars(config).values())
    return list(found.values())
