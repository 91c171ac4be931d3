"""``ModelCase``: what a generated test file builds from literals, and the dispatch of its checks.

A generated test calls ``CASE.check("<check id>", model)``. The check's capability decides from the model
whether it applies (``not applicable: <reason>`` otherwise, a skip that reports never count as passing); a
per-type exception from the overrides table can turn a check off (with its reason) or expect it to fail
(a strict xfail: a pass fails with "fixed: remove the xfail (<where>)"), and so can the registry entry's ``off`` and
``xfail`` tables. The team's own checks (``hfguard.testing.team``) run through the same dispatch: the registry's team
modules are imported when pytest collects the file (``team_checks``), never by the light commands.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from hfguard.testing import mutations, synth, team
from hfguard.testing.checks import CHECKS
from hfguard.testing.inputs import make_inputs
from hfguard.testing.overrides import check_exception, expected_failure, input_hints, known_issue
from hfguard.testing.shrink import ConfigBuildError, TooLarge, build_within_budget, first_line, tiny_config
from hfguard.testing.tensors import main_tensor

HUB_ENV = "HFGUARD_HUB_TESTS"
TIMEOUT_ENV = "HFGUARD_TEST_TIMEOUT"
NOT_APPLICABLE = "not applicable: "  # the start of a skip message that means the check does not apply
_MISSING_PACKAGE = re.compile(r"requires the (\S+) librar|No module named '([^']+)'|pip install (\S+)", re.I)


class TestTimeout(Exception):
    """A tiny model took longer than the per-test deadline."""


@contextlib.contextmanager
def deadline(seconds: int | None = None) -> Iterator[None]:
    """Raise ``TestTimeout`` after ``seconds`` (env ``HFGUARD_TEST_TIMEOUT``, default 120); main thread only."""
    seconds = seconds or int(os.environ.get(TIMEOUT_ENV, "120"))
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise TestTimeout(f"no result within {seconds}s")

    previous = signal.signal(signal.SIGALRM, expire)
    enclosing = signal.alarm(seconds)  # seconds left of an enclosing deadline (0: none), which keeps running
    if 0 < enclosing < seconds:
        signal.alarm(enclosing)
    started = time.monotonic()
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        if enclosing:
            signal.alarm(max(1, enclosing - round(time.monotonic() - started)))


def hub_tests_enabled() -> bool:
    """Opt-in hub tests run only with ``HFGUARD_HUB_TESTS=1``."""
    return os.environ.get(HUB_ENV) == "1"


@dataclass
class ModelCase:
    """One model type's tiny test subject, built from the literals of a generated file."""

    model_type: str
    family: str
    task: str | None
    config_class: str
    model_class: str
    tiny: dict[str, Any] = field(default_factory=dict)
    xfail: str | None = None  # the registry entry's xfail reason: every check is expected to fail
    team: list[str] = field(default_factory=list)  # the registry's team modules (``checks``)
    off: dict[str, str] = field(default_factory=dict)  # the registry entry's checks turned off: check id -> reason
    xfail_checks: dict[str, str] = field(default_factory=dict)  # the entry's checks expected to fail: check id -> reason
    _memo: dict[tuple[int, str], Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def marks(self) -> list[Any]:
        """pytest marks of every test: ``hfguard``, and a skip for a missing ``needs`` package or a table ``skip``."""
        import pytest

        issue = known_issue(self.model_type)
        marks = [pytest.mark.hfguard]
        if "needs" in issue and importlib.util.find_spec(issue["needs"]) is None:
            marks.append(pytest.mark.skip(reason=f"needs the optional package '{issue['needs']}'"))
        if "skip" in issue:
            marks.append(pytest.mark.skip(reason=issue["skip"]))
        return marks

    def config(self) -> Any:
        """The tiny config (a clear failure naming the model type when it cannot be built)."""
        import pytest

        try:
            return tiny_config(self.config_class, self.model_type, self.tiny)
        except ConfigBuildError as error:
            pytest.fail(f"unbuildable tiny config: {error}", pytrace=False)

    def build(self) -> Any:
        """The tiny random-weight model in eval mode, seeded; skips when an optional package is missing.

        With ``HFGUARD_MUTATION`` set (``hfguard mutate``), the model is broken in that way first. A build that
        fails for an entry marked xfail is that expected failure.
        """
        try:
            model = self._build()
            _calibrate_batch_norms(model, self.inputs(model))
        except Exception as error:  # noqa: BLE001 - a registry xfail covers a model that cannot even be built
            expected = self._expected("build")
            if expected is None:
                raise
            import pytest

            pytest.xfail(f"{expected[0]} ({first_line(error)})")
        return mutations.apply_from_env(self, model)

    def _build(self) -> Any:
        import pytest
        import torch
        import transformers

        config = self.config()
        with deadline():
            try:
                model_class = getattr(transformers, self.model_class)
                torch.manual_seed(0)
                model = build_within_budget(model_class, config)
                _wake_zero_tensors(model)
            except TooLarge as error:
                pytest.fail(f"{self.model_type}: {error}", pytrace=False)
            except ImportError as error:
                missing = _MISSING_PACKAGE.search(str(error))
                name = next((g for g in missing.groups() if g), "?") if missing else "?"
                pytest.skip(f"{self.model_type} needs an optional package ({name}): {first_line(error)}")
        return model.eval()

    def batch_size(self) -> int:
        """Samples per batch of the inputs (fewer for a model with a batching bug, from its overrides' ``batch`` hint)."""
        return input_hints(self.model_type).get("batch", synth.BATCH)

    def inputs(self, model: Any) -> dict[str, Any]:
        """The family's synthetic inputs for ``model`` (deterministic; fresh tensors on every call)."""
        def build() -> dict[str, Any]:
            hints = input_hints(self.model_type)
            with deadline():
                inputs = make_inputs(model, self.family, hints, self.task)
            batch = hints.get("batch")
            return inputs if batch is None else {k: v[:batch] if hasattr(v, "shape") else v for k, v in inputs.items()}

        inputs = self.memo(model, "inputs", build)
        return {k: v.clone() if hasattr(v, "clone") else v for k, v in inputs.items()}

    def forward(self, model: Any, inputs: dict[str, Any] | None = None, seed: int | None = 0, **options: Any) -> Any:
        """One forward pass under ``torch.no_grad()`` (``options`` are extra forward arguments). Seeded by default,
        so that models that sample on purpose repeat; ``seed=None`` leaves the global generator alone."""
        import torch

        inputs = inputs if inputs is not None else self.inputs(model)
        if seed is not None:
            torch.manual_seed(seed)
        with deadline(), torch.no_grad():
            return model(**inputs, **options)

    def reference(self, model: Any) -> Any:
        """The seeded forward pass on the default inputs, computed once per model (checks compare against it)."""
        return self._seeded_reference(model)[0]

    def generator_after_reference(self, model: Any) -> Any:
        """The global random generator's state right after the reference pass (a second pass continues from it)."""
        return self._seeded_reference(model)[1]

    def _seeded_reference(self, model: Any) -> tuple[Any, Any]:
        import torch

        def compute() -> tuple[Any, Any]:
            output = self.forward(model)
            return output, torch.get_rng_state()

        return self.memo(model, "reference", compute)

    def memo(self, model: Any, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per (model, key)."""
        slot = (id(model), key)
        if slot not in self._memo:
            self._memo[slot] = compute()
        return self._memo[slot]

    def forget(self, model: Any) -> None:
        """Drop what was computed from ``model`` except its inputs (the model was changed, e.g. broken on purpose)."""
        for slot in [slot for slot in self._memo if slot[0] == id(model) and slot[1] != "inputs"]:
            del self._memo[slot]

    def team_checks(self) -> list[str]:
        """The parameters of the file's ``test_team_check``: the ids of the team's checks, its modules imported now."""
        return team.collected_ids(self.team, [*self.off, *self.xfail_checks])

    def check(self, check_id: str, model: Any) -> None:
        """Run one check: ``not applicable`` with the reason when it does not apply; strict xfail when expected to fail."""
        import pytest

        spec = self._spec(check_id)
        turned_off = self.turned_off(check_id)
        if turned_off:
            pytest.skip(f"{NOT_APPLICABLE}{turned_off}")
        expected = self._expected(check_id)
        try:
            with deadline():
                reason = spec.applies(self, model)
                if not reason:
                    spec.run(self, model)
        except team.TeamCheckError as error:  # the team's code went wrong: one line naming the check and its module
            pytest.fail(str(error), pytrace=False)
        except Exception as error:  # noqa: BLE001 - the expected failure, whatever it raised
            if expected is None and isinstance(error, TestTimeout) and spec.group == team.GROUP:
                pytest.fail(team.timed_out(check_id, error, TIMEOUT_ENV), pytrace=False)
            if expected is None:
                raise
            pytest.xfail(f"{expected[0]} ({first_line(error)[:200]})")
        if reason:
            pytest.skip(f"{NOT_APPLICABLE}{reason}")
        if expected is not None:
            pytest.fail(f"fixed: remove the xfail ({expected[1]})", pytrace=False)

    def _spec(self, check_id: str) -> Any:
        """The built-in or team check ``check_id``; a one-line failure when there is none."""
        import pytest

        if check_id in CHECKS:
            return CHECKS[check_id]
        if not self.team:
            pytest.fail(f"unknown hfguard check '{check_id}' (known: {', '.join(CHECKS)})", pytrace=False)
        try:
            return team.as_check(self.team, check_id)
        except team.TeamCheckError as error:
            pytest.fail(str(error), pytrace=False)

    def turned_off(self, check_id: str) -> str | None:
        """Why ``check_id`` is turned off for this model type, and where that is recorded; None when it is not."""
        if check_id in self.off:
            return f"{self.off[check_id]} (registry entry [models.{self.model_type}] off)"
        turned_off = check_exception(self.model_type, check_id)
        return f"{turned_off} (overrides: {self.model_type})" if turned_off else None

    def _expected(self, check_id: str) -> tuple[str, str] | None:
        """(reason, where it is recorded) of an expected failure of ``check_id``, or None."""
        if self.xfail:
            return self.xfail, f"registry entry [models.{self.model_type}]"
        if check_id in self.xfail_checks:
            return self.xfail_checks[check_id], f"registry entry [models.{self.model_type}] xfail.{check_id}"
        reason = expected_failure(self.model_type, check_id)
        return (reason, f"hfguard/testing/overrides.py: '{self.model_type}'") if reason else None

    def assert_hub_checkpoint(self, checkpoint: str) -> None:
        """(opt-in) The real checkpoint loads into the same class and runs the same inputs."""
        import transformers

        model = getattr(transformers, self.model_class).from_pretrained(checkpoint).eval()
        output = self.forward(model)
        assert main_tensor(output).shape[0] == self.batch_size(), f"{self.model_type}: {checkpoint} output has another batch"


def _wake_zero_tensors(model: Any) -> None:
    """Give all-zero weight matrices (zero-initialised projections, e.g. a media projector), all-zero gates
    (e.g. tanh-gated cross-attention to images) and all-zero stored matrices (e.g. a VQ codebook a checkpoint
    would fill) small random values, so that every path of the untrained model carries signal the tests can see.

    A zero codebook would make every code tie and feed its decoder constant signals, whose normalisation then
    amplifies rounding noise into outputs that depend on the CPU's vector width (see docs/checks.md)."""
    import torch

    generator = torch.Generator().manual_seed(0)
    stored = set(model.state_dict())
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            leaf = name.rsplit(".", 1)[-1]
            gate = (leaf.endswith("_gate") or leaf.startswith("gate_")) and not leaf.endswith("bias")  # attn_gate, gate_ffw
            if (parameter.dim() >= 2 or gate) and parameter.is_floating_point() and not parameter.any():
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.02)
        for name, buffer in model.named_buffers():
            if name in stored and buffer.dim() >= 2 and buffer.is_floating_point() and not buffer.any():
                buffer.copy_(torch.randn(buffer.shape, generator=generator) * 0.02)


def _calibrate_batch_norms(model: Any, inputs: dict[str, Any]) -> None:
    """Give batch norms the scale of the synthetic inputs' activations, as a trained checkpoint has its data's: with the
    untrained statistics (mean 0, variance 1) nothing normalises the small activations of random weights, and deep
    convolutional stacks decay them to exact zeros (EfficientNet, MobileViT), so no input would matter. Each layer
    gets the mean and variance of its activations over all its channels."""
    import torch

    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and m.track_running_stats]
    if not norms:
        return
    momenta = [norm.momentum for norm in norms]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # a cumulative average: after one pass, exactly that pass's statistics
        norm.train()
    try:
        torch.manual_seed(0)
        with deadline(), torch.no_grad():
            model(**inputs)
    finally:
        with torch.no_grad():
            for norm, momentum in zip(norms, momenta, strict=True):
                norm.momentum = momentum
                norm.eval()
                # one scale per layer: a channel's own variance over two samples can be near zero (1 x 1 maps), and
                # dividing by it would amplify rounding into the outputs
                norm.running_var.fill_(float(norm.running_var.mean()))
                norm.running_mean.fill_(float(norm.running_mean.mean()))
