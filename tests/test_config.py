"""The registry: parsing, validation, and file:line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from hfguard.config import find_config, load_config, parse_config
from hfguard.errors import HfguardError

KNOWN = {"bert", "gpt2", "t5", "vit", "xlm-roberta", "gpt-sw3"}
FAMILIES = {"encoder-only", "decoder-only", "encoder-decoder", "vision"}


def errors_of(text: str, name: str = "hfguard.toml") -> list[str]:
    with pytest.raises(HfguardError) as caught:
        config = parse_config(text, Path(name))
        config.check_model_types(KNOWN, FAMILIES)
    return [str(problem) for problem in caught.value.problems]


def test_full_registry_is_read() -> None:
    text = (
        'tests_dir = "tests/hf"\ntarget = "all"\norphans = "warning"\n\n'
        '[models.gpt2]\ntask = "causal-lm"\ncheckpoint = "openai-community/gpt2"\n'
        'tiny = { n_embd = 32, n_layer = 1 }\n\n[models."xlm-roberta"]\nskip = "too slow"\n'
    )
    config = parse_config(text, Path("/repo/hfguard.toml"))
    assert config.tests_dir == Path("/repo/tests/hf")
    assert config.target == "all" and config.orphans == "warning"
    gpt2 = config.models["gpt2"]
    assert (gpt2.task, gpt2.checkpoint, gpt2.tiny, gpt2.line) == ("causal-lm", "openai-community/gpt2", {"n_embd": 32, "n_layer": 1}, 5)
    assert config.models["xlm-roberta"].skip == "too slow"
    assert config.models["xlm-roberta"].line == 10
    assert gpt2.as_dict() == {"task": "causal-lm", "checkpoint": "openai-community/gpt2", "tiny": {"n_embd": 32, "n_layer": 1}}


def test_defaults() -> None:
    config = parse_config("[models.bert]\n", Path("/r/hfguard.toml"))
    assert config.tests_dir == Path("/r/tests/models")
    assert (config.target, config.orphans, config.templates_dir) == ("registry", "error", None)
    assert config.lock_path == Path("/r/hfguard.lock")


def test_unknown_model_type_suggests_close_matches() -> None:
    [message] = errors_of("[models.bret]\n")
    assert message.startswith("hfguard.toml:1: unknown model type 'bret'")
    assert "'bert'" in message and "hfguard models" in message


def test_unknown_key_names_line_and_suggestion() -> None:
    [message] = errors_of('[models.gpt2]\n\nchekpoint = "x"\n')
    assert message.startswith("hfguard.toml:3: unknown key 'chekpoint' in models.gpt2")
    assert "did you mean 'checkpoint'" in message


def test_wrong_value_types() -> None:
    messages = errors_of('tests_dir = 3\n[models.gpt2]\ntiny = "small"\nskip = true\n')
    assert messages[0].startswith("hfguard.toml:1: 'tests_dir' in the top level must be a path")
    assert any(m.startswith("hfguard.toml:3: 'tiny' in models.gpt2 must be a table") for m in messages)
    assert any(m.startswith("hfguard.toml:4: 'skip' in models.gpt2 must be the reason") for m in messages)


def test_duplicate_table_is_a_toml_error_with_line() -> None:
    [message] = errors_of("[models.bert]\n\n[models.bert]\n")
    assert message.startswith("hfguard.toml:3:")
    assert "invalid TOML" in message


def test_duplicate_entry_under_two_spellings() -> None:
    [message] = errors_of('[models."xlm-roberta"]\n[models.xlm_roberta]\n')
    assert message.startswith("hfguard.toml:2: duplicate entry")


def test_unknown_family_and_bad_enums() -> None:
    [message] = errors_of('target = "everything"\n[models.bert]\n')
    assert message.startswith("hfguard.toml:1: 'target' must be one of registry, all")
    [message] = errors_of('[models.bert]\nfamily = "encoder"\n')
    assert message.startswith("hfguard.toml:2: unknown family 'encoder'")  # the line of the family key


def test_empty_skip_reason_is_refused() -> None:
    [message] = errors_of('[models.bert]\nskip = " "\n')
    assert "needs a reason" in message


def test_pyproject_tool_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.hfguard]\ntests_dir = "t"\n\n[tool.hfguard.models.bert]\nbogus = 1\n'
    )
    sub = tmp_path / "pkg"
    sub.mkdir()
    found = find_config(sub)
    assert found == tmp_path / "pyproject.toml"
    with pytest.raises(HfguardError) as caught:
        load_config(found)
    assert str(caught.value.problems[0]).startswith(f"{found}:8: unknown key 'bogus' in models.bert")


def test_missing_config_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(HfguardError, match="hfguard init"):
        find_config(tmp_path)


# --- team checks: the modules, and an entry's off and xfail tables -------------------------------------------------


def test_team_modules_and_check_tables_are_read() -> None:
    text = ('checks = ["acme_models.hfguard_checks", "acme_models.more"]\n\n[models.bert]\n'
            'off = { save_load = "our format only", predict_matches_forward = "no masked-lm head in our service" }\n\n'
            '[models.gpt2]\nxfail = "cannot be built"\n\n[models.t5]\n\n[models.t5.xfail]\nloader_round_trip = "issue 12"\n')
    config = parse_config(text, Path("/repo/hfguard.toml"))
    assert config.checks == ("acme_models.hfguard_checks", "acme_models.more")
    bert, gpt2, t5 = config.models["bert"], config.models["gpt2"], config.models["t5"]
    assert bert.off == {"save_load": "our format only", "predict_matches_forward": "no masked-lm head in our service"}
    assert (gpt2.xfail, gpt2.xfail_checks) == ("cannot be built", {})  # the whole-entry string keeps its meaning
    assert (t5.xfail, t5.xfail_checks) == (None, {"loader_round_trip": "issue 12"})
    assert t5.as_dict() == {"xfail": {"loader_round_trip": "issue 12"}} and "off" in bert.as_dict()


def test_team_modules_under_tool_hfguard(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "acme"\n\n[tool.hfguard]\nchecks = ["acme.checks"]\n\n'
                                             '[tool.hfguard.models.bert]\noff = { save_load = "ours" }\n')
    config = load_config(tmp_path / "pyproject.toml")
    assert config.checks == ("acme.checks",) and config.models["bert"].off == {"save_load": "ours"}
    assert parse_config("[models.bert]\n", Path("hfguard.toml")).checks == ()


def test_team_module_and_check_table_errors_name_their_line() -> None:
    messages = errors_of('checks = ["acme.checks", "acme/checks.py", "acme.checks"]\n\n[models.bert]\n'
                         'off = { save_lod = "x", "not an id" = "y", outputs_finite = "" }\nxfail = { save_load = "z" }\n'
                         '\n[models.gpt2]\noff = { save_load = "ours" }\nxfail = { save_load = "ours" }\n')
    assert messages == [
        "hfguard.toml:1: 'checks' must list module names like \"acme_models.hfguard_checks\", not 'acme/checks.py'",
        "hfguard.toml:1: 'checks' names 'acme.checks' twice",
        "hfguard.toml:4: off.'not an id' of 'bert': a check id is a Python identifier",
        "hfguard.toml:4: off.outputs_finite of 'bert' needs a reason (a non-empty string)",
        "hfguard.toml:8: 'save_load' of 'gpt2' is both off and expected to fail: keep one",
    ]


def test_without_team_modules_a_check_table_names_built_in_checks_only() -> None:
    [message] = errors_of('[models.bert]\n\n[models.bert.off]\nsave_lod = "x"\n')
    assert message == ("hfguard.toml:4: off.save_lod of 'bert': unknown check (did you mean 'save_load', 'untied_save_load'?); name a built-in "
                       "check (docs/checks.md) or a team check of a module listed in 'checks'")
    assert errors_of('checks = "acme.checks"\n[models.bert]\n')[0].startswith("hfguard.toml:1: 'checks' in the top level must be a list")


def test_team_tests_are_relative_globs_inside_the_repository() -> None:
    config = parse_config('team_tests = ["test/**/test_hf_*.py", "test_hf_*.py"]\n', Path("/r/hfguard.toml"))
    assert config.team_tests == ("test/**/test_hf_*.py", "test_hf_*.py")
    assert parse_config("", Path("/r/hfguard.toml")).team_tests == ()
    both = parse_config('team_tests = ["test/**/test_hf_*.py"]\nchecks = ["acme.checks"]\n\n[models.bert]\noff = { save_load = "ours" }\n',
                        Path("/r/hfguard.toml"))  # the team's own files beside its check modules
    assert (both.team_tests, both.checks, both.models["bert"].off) == (("test/**/test_hf_*.py",), ("acme.checks",), {"save_load": "ours"})
    assert errors_of('team_tests = "test/**/test_hf_*.py"\n') == [
        'hfguard.toml:1: \'team_tests\' in the top level must be a list of globs of your own per-model test files, e.g. '
        '["test/**/test_hf_*.py"], not str']
    for bad in ("/abs/test_hf_*.py", "../other/test_hf_*.py", "~/t.py", "", 3):
        text = f"team_tests = [{bad!r}]\n".replace("'", '"') if isinstance(bad, str) else f"team_tests = [{bad}]\n"
        (error,) = errors_of(text)
        assert error.startswith("hfguard.toml:1: 'team_tests' must list relative globs inside the repository"), error
