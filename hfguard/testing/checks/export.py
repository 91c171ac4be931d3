"""``torch.export``: the model exports (non-strict, as transformers' ``test_torch_export``) and the exported program
gives the eager outputs.

Set up as transformers' tester does, decided from the model: SDPA where the attention can be switched, batched
experts where they can be set, no cache and no loss on every (sub-)config that has the setting, and the mask helpers
of state-space layers that transformers' tester replaces (by what the module has, never by its name). Both runs are on
the float64 twin (``ModelCase.precise``): the exported program runs the same operations, so its outputs agree within
rounding (about 1e-16 of the scale in float64), far inside the bound.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hfguard.testing.checks.registry import check
from hfguard.testing.model_state import restored
from hfguard.testing.tensors import CheckFailure, assert_close, named_tensors

SAME = 1e-5  # relative to each output's scale
_NOT_INPUTS = ("use_cache", "return_loss", "future_values")  # transformers' tester does not export a cache or a loss
_OFF = ("use_cache", "return_loss", "use_mamba_kernels")  # config settings set to False on every (sub-)config


def prepare(model: Any) -> None:
    """``model`` set up for export as transformers' tester does (in place; the caller restores it)."""
    if model._can_set_experts_implementation():
        model.set_experts_implementation("batched_mm")
    if model._can_set_attn_implementation():
        try:
            model.set_attn_implementation("sdpa")
        except (ValueError, ImportError):  # a part that does not support SDPA keeps its implementation
            pass
    for module in model.modules():
        config = getattr(module, "config", None)
        for name in _OFF:
            if config is not None and hasattr(config, name):
                setattr(config, name, False)
        if hasattr(module, "_cast_classifier"):
            module._cast_classifier = lambda *args, **kwargs: None
        for name in ("_update_mamba_mask", "_update_linear_attn_mask"):
            if hasattr(module, name):
                setattr(module, name, lambda attention_mask, *args, **kwargs: attention_mask)


def where_it_stopped(error: BaseException) -> str:
    """`` at <file>:<line>``: the innermost frame of the failed export outside torch and hfguard (the model's code
    that, for example, reads a tensor's value in Python), or '' when there is none."""
    import traceback

    import torch

    own = (str(Path(torch.__file__).parent), str(Path(__file__).parents[2]))  # torch's package and hfguard's
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if not frame.filename.startswith(own) and not frame.filename.startswith("<")]
    if not frames:
        return ""
    path = Path(frames[-1].filename)
    shown = next((path.relative_to(parent).as_posix() for parent in path.parents if parent.name in ("site-packages", "dist-packages")),
                 path.as_posix())
    return f" at {shown}:{frames[-1].lineno}"


@contextlib.contextmanager
def _torch_logs_quiet() -> Iterator[None]:
    """torch's own warnings off for the export (a failing export logs its whole graph)."""
    logger = logging.getLogger("torch")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@check()
def torch_export_matches_eager(case: Any, model: Any) -> None:
    import torch

    from hfguard.testing.shrink import first_line

    model = case.precise(model)
    inputs = {key: value for key, value in case.inputs(model).items() if key not in _NOT_INPUTS}
    with restored(model):
        prepare(model)
        expected = named_tensors(case.forward(model, dict(inputs)))
        try:
            with _torch_logs_quiet():
                program = torch.export.export(model, args=(), kwargs=dict(inputs), strict=False)
        except Exception as error:  # noqa: BLE001 - whatever stops the export is the finding
            raise CheckFailure(f"{case.model_type}: torch.export (non-strict) fails{where_it_stopped(error)}: "
                               f"{first_line(error)[:300]}") from None
        torch.manual_seed(0)
        with torch.no_grad():
            actual = dict(named_tensors(program.module()(**dict(inputs))))
    expected = dict(expected)
    if expected.keys() != actual.keys():
        raise CheckFailure(f"{case.model_type}: the exported program returns other outputs than eager: "
                           f"{sorted(expected.keys() ^ actual.keys())[:4]}")
    for name, tensor in expected.items():
        if tensor.is_floating_point():
            assert_close(actual[name], tensor, f"{case.model_type}: {name} of the exported program vs eager", SAME)
        elif not torch.equal(actual[name], tensor):
            raise CheckFailure(f"{case.model_type}: {name} of the exported program differs from eager")
