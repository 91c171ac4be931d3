"""``ModelCase``: what a generated test file builds from literals, and the dispatch of its checks.

A generated test calls ``CASE.check("<check id>", model)``. The check's capability decides from the model
whether it applies (``not applicable: <reason>`` otherwise, a skip that reports never count as passing); a
per-type exception from the overrides table can turn a check off (with its reason) or expect it to fail, and so can
the registry entry's ``off`` and ``xfail`` tables. An expected failure is strict where it was measured: a registry
entry's ``xfail`` on every version, a recorded upstream bug on the transformers versions it names; there a pass fails
with "fixed: remove the xfail (<where>)". On another transformers version an upstream bug is a non-strict expectation:
the same failure is the known bug (xfail), a pass passes and records "fixed upstream in transformers <version>" (on a
newer version; "passes on ..." on an older one) in its JUnit properties (``hfguard_bug_passes``), news for the upgrade
view, never a failure of the user's suite. The team's own checks (``hfguard.testing.team``) run through the same
dispatch: the registry's team modules are imported when pytest collects the file (``team_checks``), never by the light
commands.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import signal
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from hfguard.testing import mutations, precision, synth, team
from hfguard.testing.checks import CHECKS, registry
from hfguard.testing.inputs import make_inputs
from hfguard.testing.overrides import check_exception, expected_failure, input_hints, known_issue
from hfguard.testing.pytest_plugin import record
from hfguard.testing.shrink import ConfigBuildError, TooLarge, build_within_budget, first_line, tiny_config
from hfguard.testing.tensors import main_tensor

HUB_ENV = "HFGUARD_HUB_TESTS"
TIMEOUT_ENV = "HFGUARD_TEST_TIMEOUT"
NOT_APPLICABLE = "not applicable: "  # the start of a skip message that means the check does not apply
NIGHTLY_TIER = "nightly tier: "  # the start of the skip message of a nightly-tier check in a pull-request run
BUG_PASSES_PROPERTY = "hfguard_bug_passes"  # JUnit property of a check that passes where an upstream bug is recorded
_MISSING_PACKAGE = re.compile(r"requires the (\S+) librar|No module named '([^']+)'|pip install (\S+)", re.I)


class TestTimeout(Exception):
    """A tiny model took longer than the per-test deadline."""


@dataclass(frozen=True)
class Expected:
    """An expected failure of a check: why, where it is recorded, and the transformers versions it is strict on
    (None: every version, as a registry entry's ``xfail``)."""

    reason: str
    where: str
    measured: frozenset[str] | None = None

    def strict(self, version: str) -> bool:
        """Whether a pass on transformers ``version`` means the record is stale."""
        return self.measured is None or version in self.measured

    def passes_on(self, version: str) -> str:
        """The news that the check passes on transformers ``version``, which is not one it was measured on."""
        from packaging.version import InvalidVersion, Version

        measured = sorted(self.measured or ())
        try:
            newer = all(Version(version) > Version(other) for other in measured)
        except InvalidVersion:
            newer = False
        news = f"fixed upstream in transformers {version}" if newer else f"passes on transformers {version}"
        return f"{news}: {self.reason} (measured on {', '.join(measured)}; {self.where})"


def transformers_version() -> str:
    """The transformers version the tests run with."""
    import transformers

    return transformers.__version__


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


def running_tier() -> str:
    """The tier of checks this run runs: ``pr`` (``HFGUARD_TIER=pr``: the nightly tier's checks skip) or ``nightly``
    (unset: every check); another value fails the test with one line."""
    import pytest

    value = os.environ.get(registry.TIER_ENV, "nightly")
    if value not in registry.TIERS:
        pytest.fail(f"{registry.TIER_ENV}={value!r}: expected one of {', '.join(registry.TIERS)}", pytrace=False)
    return value


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
    # model -> (its float64 twin, or None and why not); twin -> its model (weak both ways: a twin lives with its model)
    _twins: Any = field(default_factory=weakref.WeakKeyDictionary, init=False, repr=False, compare=False)
    _origins: Any = field(default_factory=weakref.WeakKeyDictionary, init=False, repr=False, compare=False)
    _in_float32: bool = field(default=False, init=False, repr=False, compare=False)  # precise() gives the model itself
    _used_twin: bool = field(default=False, init=False, repr=False, compare=False)  # the running check used a twin

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

            pytest.xfail(f"{expected.reason} ({first_line(error)})")
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
        """The family's synthetic inputs for ``model`` (deterministic; fresh tensors on every call; in float64 for a
        float64 twin)."""
        origin = self._origins.get(model)
        if origin is not None and origin() is not None:
            return precision.to_float64(self.inputs(origin()))

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
        """Drop what was computed from ``model`` except its inputs (the model was changed, e.g. broken on purpose),
        and its float64 twin."""
        self._forget_all(model, keep="inputs")
        twin = self._twins.pop(model, (None, ""))[0]
        if twin is not None:
            self._forget_all(twin)

    def _forget_all(self, model: Any, keep: str = "") -> None:
        """Drop everything computed from ``model`` but the slot named ``keep``."""
        for slot in [slot for slot in self._memo if slot[0] == id(model) and slot[1] != keep]:
            del self._memo[slot]

    def precise(self, model: Any) -> Any:
        """The model a comparison that only rounding could decide runs on: ``model``'s float64 twin (a deep copy with
        its weights, state and breakage, made once; ``inputs`` and ``reference`` of it are in float64), or ``model``
        itself when it does not run in float64, which the test then records (``hfguard_float32``: why not)."""
        if model in self._origins or self._in_float32:
            return model
        if model not in self._twins:
            self._twins[model] = self._float64_twin(model)
        twin, why_not = self._twins[model]
        if twin is None:
            record(precision.FLOAT32_PROPERTY, why_not)
            return model
        self._used_twin = True
        return twin

    def _float64_twin(self, model: Any) -> tuple[Any, str]:
        """(``model``'s float64 twin, "") when its reference pass runs in float64, else (None, why not)."""
        try:
            twin = precision.float64_copy(model)
        except Exception as error:  # noqa: BLE001 - any model that cannot be copied is compared in float32
            return None, f"it cannot be copied to float64: {first_line(error)[:200]}"
        from hfguard.testing.tensors import floating

        self._forget_all(twin)  # a dead object's id may be reused
        self._origins[twin] = weakref.ref(model)
        try:
            exact, usual = floating(self.reference(twin)), floating(self.reference(model))
            why_not = next((f"its float64 forward gives non-finite values where float32's are finite ({name})"
                            for name, tensor in exact.items() if name in usual and tensor.shape == usual[name].shape
                            and precision.non_finite_where_finite(tensor, usual[name])), "")
        except Exception as error:  # noqa: BLE001 - e.g. a float32 tensor made in its forward meets float64 weights
            why_not = f"its forward fails in float64: {first_line(error)[:200]}"
        if why_not:
            del self._origins[twin]
            self._forget_all(twin)
            return None, why_not
        return twin, ""

    def _run(self, spec: Any, model: Any) -> None:
        """``spec.run``; where it ran on the float64 twin and could not judge there (a crash, or values finite on one
        side only: ``Float64Unusable``), once more on the model itself in float32, which decides (and the test says why)."""
        self._used_twin = False
        try:
            spec.run(self, model)
        except (AssertionError, TestTimeout):
            raise
        except Exception as error:  # noqa: BLE001 - whatever stopped the float64 run, the float32 run decides
            if not self._used_twin:
                raise
            record(precision.FLOAT32_PROPERTY, f"{spec.id} on the float64 twin: {first_line(error)[:200]}")
            self._in_float32 = True
            try:
                spec.run(self, model)
            finally:
                self._in_float32 = False

    def team_checks(self) -> list[str]:
        """The parameters of the file's ``test_team_check``: the ids of the team's checks, its modules imported now."""
        return team.collected_ids(self.team, [*self.off, *self.xfail_checks])

    def check(self, check_id: str, model: Any) -> None:
        """Run one check: ``not applicable`` with the reason when it does not apply; strict xfail when expected to fail."""
        import pytest

        spec = self._spec(check_id)
        running = running_tier()
        record(registry.TIER_PROPERTY, running)
        if running == "pr" and registry.tier(check_id) == "nightly":
            pytest.skip(f"{NIGHTLY_TIER}{check_id} runs in the nightly tier, not with {registry.TIER_ENV}=pr")
        turned_off = self.turned_off(check_id)
        if turned_off:
            pytest.skip(f"{NOT_APPLICABLE}{turned_off}")
        expected = self._expected(check_id)
        try:
            with deadline():
                reason = spec.applies(self, model)
                if not reason:
                    self._run(spec, model)
        except team.TeamCheckError as error:  # the team's code went wrong: one line naming the check and its module
            pytest.fail(str(error), pytrace=False)
        except Exception as error:  # noqa: BLE001 - the expected failure, whatever it raised
            if expected is None and isinstance(error, TestTimeout) and spec.group == team.GROUP:
                pytest.fail(team.timed_out(check_id, error, TIMEOUT_ENV), pytrace=False)
            if expected is None:
                raise
            pytest.xfail(f"{expected.reason} ({first_line(error)[:200]})")
        if reason:
            pytest.skip(f"{NOT_APPLICABLE}{reason}")
        if expected is None:
            return
        version = transformers_version()
        if expected.strict(version):
            pytest.fail(f"fixed: remove the xfail ({expected.where})", pytrace=False)
        record(BUG_PASSES_PROPERTY, expected.passes_on(version))

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

    def _expected(self, check_id: str) -> Expected | None:
        """The expected failure of ``check_id``, or None: the registry entry's (strict on every version), else a
        recorded upstream bug (strict on the versions it was measured on)."""
        if self.xfail:
            return Expected(self.xfail, f"registry entry [models.{self.model_type}]")
        if check_id in self.xfail_checks:
            return Expected(self.xfail_checks[check_id], f"registry entry [models.{self.model_type}] xfail.{check_id}")
        bug = expected_failure(self.model_type, check_id)
        if bug is None:
            return None
        return Expected(str(bug), f"hfguard/testing/overrides.py: '{self.model_type}'", getattr(bug, "measured", None))

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
