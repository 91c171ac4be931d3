"""Team checks in the runtime: registering (``team_check``, ``team_mutation``), importing the team's modules, and
running a team check through ``ModelCase.check`` on a real tiny bert: what ``case`` offers, ``applies``, the registry
entry's ``off`` and ``xfail`` tables, and one line for every problem of the team's code (no mocks)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")

from hfguard.testing import ModelCase, TeamCase, team, team_check, team_mutation  # noqa: E402
from hfguard.testing.mutations import LOG_ENV, MUTATION_ENV, apply_from_env, undo_team_breakage  # noqa: E402

BERT = ("bert", "encoder-only", "masked-lm", "BertConfig", "BertForMaskedLM")


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """A clean table of team checks and kinds, and a folder on ``sys.path`` for the team's modules of one test."""
    monkeypatch.setattr(team, "TEAM_CHECKS", {})
    monkeypatch.setattr(team, "TEAM_KINDS", {})
    monkeypatch.setattr(team, "_IMPORTED", {})
    monkeypatch.syspath_prepend(str(tmp_path))
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        if name.startswith("team_"):
            del sys.modules[name]


def write_module(folder: Path, name: str, body: str) -> str:
    (folder / f"{name}.py").write_text("from hfguard.testing import team_check, team_mutation\n\n" + textwrap.dedent(body))
    return name


@pytest.fixture(scope="module")
def bert_model():
    return ModelCase(*BERT).build()


def case(*modules: str, **settings) -> ModelCase:
    return ModelCase(*BERT, team=list(modules), **settings)


# --- registering ----------------------------------------------------------------------------------


def test_both_decorator_forms_register_with_id_meaning_and_applies(registry):
    @team_check
    def ours_runs(case, model):
        """Our handler runs this model type.

        More words that are no part of the meaning."""

    def never(case, model):
        return "never"

    @team_check(applies=never, id="renamed")
    def other(case, model):
        """Another one."""

    assert list(team.TEAM_CHECKS) == ["ours_runs", "renamed"]
    assert team.TEAM_CHECKS["ours_runs"].summary == "Our handler runs this model type."
    assert team.TEAM_CHECKS["renamed"].applies is never and team.TEAM_CHECKS["renamed"].module == __name__
    assert other.__name__ == "other"  # the function is returned as it was


def test_what_cannot_be_registered_is_one_line_naming_it(registry):
    def check(case, model):
        """A check."""

    def undocumented(case, model):
        pass

    def kind(patch):
        """A kind."""

    here = rf"\({__name__}\)"
    with pytest.raises(team.TeamCheckError, match=rf"^team check 'save_load' {here}: 'save_load' is a built-in check's id; give it another"):
        team_check(id="save_load")(check)
    with pytest.raises(team.TeamCheckError, match=rf"^team check 'not an id' {here}: an id must be a Python identifier"):
        team_check(id="not an id")(check)
    with pytest.raises(team.TeamCheckError, match=rf"^team check 'undocumented' {here} needs a docstring: its first line says what it checks$"):
        team_check(undocumented)
    with pytest.raises(team.TeamCheckError, match=rf"^team mutation 'check' {here} must be a function of \(patch\)$"):
        team_mutation(check)
    assert team.TEAM_CHECKS == {} and team.TEAM_KINDS == {}
    team_mutation(id="nan_element")(kind)  # hfguard mutate refuses it (the built-in kind wins where the tests run)
    from hfguard.config import parse_config
    from hfguard.errors import HfguardError
    from hfguard.mutate import team_kinds

    with pytest.raises(HfguardError, match=rf"team mutation 'nan_element' {here}: 'nan_element' is a built-in mutation kind's id"):
        team_kinds(parse_config("[models.bert]\n", Path("hfguard.toml")))


def test_a_duplicate_id_from_another_module_fails_that_module_in_one_line(registry):
    first = write_module(registry, "team_first", '''
        @team_check
        def runs(case, model):
            """Runs."""
    ''')
    second = write_module(registry, "team_second", '''
        @team_check
        def runs(case, model):
            """Runs, again."""
    ''')
    errors = team.import_modules([first, second])
    assert errors == {second: "team module 'team_second': team check 'runs' (team_second): duplicate id, already registered by team_first.runs"}
    assert team.import_modules([first, first]) == {} and list(team.TEAM_CHECKS) == ["runs"]  # importing again changes nothing


def test_a_module_that_does_not_import_is_one_line_with_what_to_do(registry):
    broken = write_module(registry, "team_broken", "raise RuntimeError('no GPU here\\nsecond line')\n")
    errors = team.import_modules(["acme_not_installed.checks", broken])
    assert errors["acme_not_installed.checks"] == (
        "team module 'acme_not_installed.checks' does not import: ModuleNotFoundError: No module named 'acme_not_installed'; "
        f"{team.INSTALL_HINT}")
    assert errors[broken] == "team module 'team_broken' does not import: RuntimeError: no GPU here"


def test_collected_ids_are_the_checks_then_what_fails(registry):
    good = write_module(registry, "team_good", '''
        @team_check
        def one(case, model):
            """One."""

        @team_check
        def two(case, model):
            """Two."""
    ''')
    assert team.collected_ids([good, "team_missing"], ["save_load", "one", "typo"]) == ["one", "two", "team_missing", "typo"]
    empty = write_module(registry, "team_empty", "")
    team.TEAM_CHECKS.clear()
    assert team.collected_ids([empty]) == [empty]  # it registers nothing: its test says so
    with pytest.raises(team.TeamCheckError, match="team module 'team_empty' registers no team check"):
        team.find([empty], empty)


# --- running through ModelCase.check ---------------------------------------------------------------


def test_a_team_check_sees_the_case_api_and_runs_like_a_check(registry, bert_model):
    seen = {}

    @team_check
    def sees_the_case(case, model):
        """The case API."""
        assert isinstance(case, TeamCase)
        seen.update(model_type=case.model_type, family=case.family, task=case.task,
                    hidden=case.config().hidden_size, inputs=sorted(case.inputs(model)))

    case(__name__).check("sees_the_case", bert_model)
    assert seen == {"model_type": "bert", "family": "encoder-only", "task": "masked-lm", "hidden": bert_model.config.hidden_size,
                    "inputs": ["attention_mask", "input_ids"]}


def test_applies_decides_and_its_problems_are_one_line(registry, bert_model):
    @team_check(applies=lambda case, model: None if case.family == "vision" else f"no images in {case.family}")
    def reads_images(case, model):
        """Images."""
        raise AssertionError("never runs")

    @team_check(applies=lambda case, model: 1 / 0)
    def raising(case, model):
        """Raises."""

    @team_check(applies=lambda case, model: False)
    def wrong_answer(case, model):
        """Answers False."""

    subject = case(__name__)
    with pytest.raises(pytest.skip.Exception, match=r"^not applicable: no images in encoder-only$"):
        subject.check("reads_images", bert_model)
    with pytest.raises(pytest.fail.Exception, match=rf"^team check 'raising' \({__name__}\): its applies raised ZeroDivisionError: division by zero$"):
        subject.check("raising", bert_model)
    with pytest.raises(pytest.fail.Exception, match=r"its applies must return None or the reason it does not apply, not False$"):
        subject.check("wrong_answer", bert_model)


def test_a_team_check_slower_than_the_deadline_is_one_line(registry, bert_model, monkeypatch):
    import time

    @team_check
    def slow(case, model):
        """Sleeps."""
        time.sleep(5)

    monkeypatch.setenv("HFGUARD_TEST_TIMEOUT", "1")
    started = time.monotonic()
    with pytest.raises(pytest.fail.Exception, match=rf"^team check 'slow' \({__name__}\): no result within 1s, the per-test "
                                                    r"deadline \(\$HFGUARD_TEST_TIMEOUT\)$"):
        case(__name__).check("slow", bert_model)
    assert time.monotonic() - started < 4


def test_a_deadline_inside_a_check_keeps_the_enclosing_one(bert_model, monkeypatch):
    """case.inputs() of a new model runs under its own deadline; the check's deadline keeps running after it."""
    import time

    from hfguard.testing.case import TestTimeout, deadline

    with pytest.raises(TestTimeout), deadline(2):
        with deadline(60):
            pass
        time.sleep(4)


def test_the_entry_tables_turn_checks_off_or_expect_them_to_fail(registry, bert_model):
    @team_check
    def fails(case, model):
        """Fails."""
        raise AssertionError("bert: 3 of 8 values differ")

    @team_check
    def passes(case, model):
        """Passes."""

    subject = case(__name__, off={"fails": "our handler does not serve masked-lm", "save_load": "our format only"},
                   xfail_checks={"passes": "issue 12", "outputs_finite": "issue 13"})
    with pytest.raises(pytest.skip.Exception, match=r"^not applicable: our handler does not serve masked-lm \(registry entry \[models.bert\] off\)$"):
        subject.check("fails", bert_model)
    with pytest.raises(pytest.skip.Exception, match=r"^not applicable: our format only \(registry entry \[models.bert\] off\)$"):
        subject.check("save_load", bert_model)
    with pytest.raises(pytest.fail.Exception, match=r"^fixed: remove the xfail \(registry entry \[models.bert\] xfail.passes\)$"):
        subject.check("passes", bert_model)
    with pytest.raises(pytest.fail.Exception, match=r"xfail.outputs_finite\)$"):  # a built-in check too
        subject.check("outputs_finite", bert_model)
    with pytest.raises(pytest.xfail.Exception, match=r"^issue 12 \(AssertionError: bert: 3 of 8 values differ\)$"):
        case(__name__, xfail_checks={"fails": "issue 12"}).check("fails", bert_model)


def test_unknown_checks_and_modules_that_do_not_import_fail_in_one_line(registry, bert_model):
    with pytest.raises(pytest.fail.Exception, match=r"^team module 'team_nowhere' does not import: ModuleNotFoundError"):
        case("team_nowhere").check("team_nowhere", bert_model)
    with pytest.raises(pytest.fail.Exception, match=r"^unknown check 'typo': neither built-in \(docs/checks.md\) nor a team check"):
        case("team_nowhere").check("typo", bert_model)
    with pytest.raises(pytest.fail.Exception, match=r"^unknown hfguard check 'typo' \(known: output_shapes"):
        ModelCase(*BERT).check("typo", bert_model)  # no team modules: as before


# --- team mutation kinds --------------------------------------------------------------------------


def test_a_team_kind_breaks_the_team_code_until_undone_and_says_where_it_does_not_apply(registry, bert_model, monkeypatch, tmp_path):
    module = write_module(registry, "team_wrapper", '''
        SCALE = 1.0

        def masks_text(case, model):
            return None if "input_ids" in case.inputs(model) else "no text"

        @team_mutation(applies=masks_text, checks=["scaled"])
        def doubled(patch):
            """The wrapper scales by 2."""
            import team_wrapper
            patch.setattr(team_wrapper, "SCALE", 2.0)

        @team_mutation(applies=lambda case, model: "only vision")
        def vision_only(patch):
            """Never here."""
    ''')
    import importlib

    wrapper = importlib.import_module(module)
    (tmp_path / "log").mkdir()
    monkeypatch.setenv(LOG_ENV, str(tmp_path / "log"))
    monkeypatch.setenv(MUTATION_ENV, "doubled")
    assert apply_from_env(case(module), bert_model) is bert_model and wrapper.SCALE == 2.0
    assert (tmp_path / "log" / "bert.json").read_text() == '{"model_type": "bert", "kind": "doubled", "applied": true, "reason": ""}'
    undo_team_breakage()
    assert wrapper.SCALE == 1.0
    monkeypatch.setenv(MUTATION_ENV, "vision_only")
    with pytest.raises(pytest.skip.Exception, match="^mutation vision_only does not apply: only vision$"):
        apply_from_env(case(module), bert_model)
    monkeypatch.setenv(MUTATION_ENV, "doubled")
    with pytest.raises(pytest.skip.Exception, match=r"^mutation doubled does not apply: scaled turned off for bert: ours \(registry"):
        apply_from_env(case(module, off={"scaled": "ours"}), bert_model)
