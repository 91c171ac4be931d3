"""``hfguard verify``: compile findings, formats, exit codes, the cache, stale and orphan files."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import pytest

from conftest import run_listing_heavy_imports
from gitrepo import catalogue, registry
from hfguard import verify as verify_module
from hfguard.commands.verify import main
from hfguard.baseline import BASELINE_NAME, Debt, write_baseline
from hfguard.config import load_config
from hfguard.plan import plan_file
from hfguard import stamp
from hfguard.stamp import header, seal
from hfguard.verify import CompileCache, Finding, Report, check_files, compile_finding, format_report, verify

TEMPLATE = '{% extends "_base.j2" %}\n'


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("HFGUARD_CACHE_DIR", str(folder))
    return folder


def _compile_error(source: bytes) -> SyntaxError | None:
    try:
        compile(source, "x.py", "exec", dont_inherit=True)
    except SyntaxError as error:
        return error
    return None


@pytest.mark.parametrize(
    ("source", "code", "line", "col"),
    [
        (b"def f():\n    x = 1\n        y = 2\n", "HFG101", 3, 8),
        (b"def f():\n    x = 1\n  y = 2\n", "HFG101", 3, 8),
        (b"def f():\nreturn 1\n", "HFG101", 2, 1),
        (b"try:\nexcept ValueError:\n    pass\n", "HFG101", 2, 1),
        (b"if True:\n\tx = 1\n        y = 2\n", "HFG102", 3, 1),
        (b"x = (1,\n", "HFG100", 1, 5),
        (b"x = 1 +\n", "HFG100", 1, 8),
        (b"return 1\n", "HFG100", 1, 1),  # a compiler error, not a parser error
        (b"nonlocal x\n", "HFG100", 1, 1),  # a symbol-table error
        (b"x = 1\nawait x\n", "HFG100", 2, 1),
        (b"for x in y:\n    pass\nbreak\n", "HFG100", 3, 1),
        (b"f(**x, *y)\n", "HFG100", 1, 8),
        (b"\xff = 1\n", "HFG100", 1, 1),
    ],
)
def test_compile_findings_match_compile(source: bytes, code: str, line: int, col: int) -> None:
    error = _compile_error(source)
    finding = compile_finding("x.py", source)
    assert error is not None and finding is not None
    assert (finding.code, finding.line, finding.col) == (code, line, col)
    assert (finding.line, finding.message) == (error.lineno, error.msg)


@pytest.mark.parametrize(
    "source",
    [
        b"x = 1\n",
        b"# -*- coding: latin-1 -*-\nname = '\xe9'\n",
        b"\xef\xbb\xbfx = 1\n",
        b"x = '\\d'\nassert (x, 1)\nif x is 1: pass\n",  # warnings only
        b"async def f():\n    await g()\n",
        b"",
    ],
)
def test_valid_code_is_clean_even_with_warnings_as_errors(source: bytes) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert compile_finding("x.py", source) is None


def test_null_bytes_are_reported_not_raised() -> None:
    finding = compile_finding("x.py", b"x = 1\ny = 2\0\n")
    assert finding is not None
    assert (finding.code, finding.line, finding.col) == ("HFG103", 2, 6)
    assert "null bytes" in finding.message


def test_compiler_error_shows_the_source_line() -> None:
    finding = compile_finding("x.py", b"x = 1\nreturn x\n")
    assert finding is not None and finding.source is not None
    assert finding.excerpt() == "    return x\n    ^^^^^^^^\n"


def test_text_format_puts_the_caret_under_the_column_even_after_tabs() -> None:
    finding = compile_finding("x.py", b"if x:\n\tpass\n\t  foo(\n")
    assert finding is not None
    text = format_report(Report([finding], [], 1, 0), "text")
    first, source, caret = text.splitlines()
    assert first == f"x.py:{finding.line}:{finding.col}: {finding.code} {finding.message}"
    assert source == "    " + "\t  foo("
    assert caret.index("^") == 4 + finding.col - 1 and caret[4] == "\t"


def test_github_format_escapes_and_maps_severity() -> None:
    findings = [
        Finding("a,b.py", 3, 4, "HFG100", "bad 100%\nthing"),
        Finding("hfguard.toml", 7, 1, "HFG121", "missing", severity="warning"),
    ]
    text = format_report(Report(findings, ["no lock"], 2, 0), "github")
    assert text.splitlines() == [
        "::error file=a%2Cb.py,line=3,col=4,title=HFG100::bad 100%25%0Athing",
        "::warning file=hfguard.toml,line=7,col=1,title=HFG121::missing",
        "::notice::no lock",
    ]


def test_json_format_and_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("good.py").write_text("x = 1\n")
    Path("bad.py").write_text("def f():\n  x = 1\n   y = 2\n")
    assert main(["good.py"]) == 0
    assert capsys.readouterr().out == "hfguard verify: 1 file checked (0 from the cache); no findings\n"
    assert main(["--format", "json", "good.py", "bad.py"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["files"] == 2
    assert data["summary"] == "hfguard verify: 2 files checked (1 from the cache); 1 finding: 1 HFG101"
    assert [(f["path"], f["line"], f["col"], f["code"]) for f in data["findings"]] == [("bad.py", 3, 3, "HFG101")]
    assert main(["missing.py"]) == 2
    assert "missing.py: no such file or directory" in capsys.readouterr().err
    assert main([]) == 2  # no paths and no registry
    assert "hfguard.toml" in capsys.readouterr().err
    assert main(["--config", "nowhere.toml", "good.py"]) == 2
    with pytest.raises(SystemExit) as usage:
        main(["--format", "xml", "good.py"])
    assert usage.value.code == 2


def test_directories_are_walked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    Path("pkg/a.py").write_text("x = 1\n")
    Path("pkg/sub/b.py").write_text("return\n")
    Path("pkg/sub/notes.txt").write_text("return\n")
    assert main(["pkg"]) == 1
    assert capsys.readouterr().out.splitlines()[0] == "pkg/sub/b.py:1:1: HFG100 'return' outside function"


def test_cache_hits_misses_and_keeps_only_clean_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _private_cache: Path) -> None:
    monkeypatch.chdir(tmp_path)
    good, bad = Path("good.py"), Path("bad.py")
    good.write_text("x = 1\n")
    bad.write_text("return\n")
    first = verify([good, bad], None)
    assert (first.cached, len(first.findings)) == (0, 1)
    second = verify([good, bad], None)
    assert (second.cached, len(second.findings)) == (1, 1)  # the broken file is compiled again
    good.write_text("x = 2\n")
    assert verify([good], None).cached == 0
    assert verify([good], None, use_cache=False).cached == 0
    stored = json.loads(next(_private_cache.glob("verify-*.json")).read_text())
    assert stored["build"] == verify_module.BUILD and sys.version in stored["build"]
    assert set(stored["clean"]) == {CompileCache.key(b"x = 1\n"), CompileCache.key(b"x = 2\n")}


def test_cache_of_another_python_or_a_damaged_file_is_ignored(tmp_path: Path, _private_cache: Path) -> None:
    source = tmp_path / "a.py"
    source.write_text("x = 1\n")
    cache_file = CompileCache(_private_cache).path
    cache_file.write_text(json.dumps({"build": "2.7 hfguard 0", "clean": [CompileCache.key(b"x = 1\n")]}))
    assert verify([source], None).cached == 0
    for damaged in ("{not json", '{"build": %s, "clean": 5}' % json.dumps(verify_module.BUILD), "[]", '"x"'):
        cache_file.write_text(damaged)
        assert verify([source], None).cached == 0
    assert verify([source], None).cached == 1


def test_concurrent_cache_writes_never_leave_a_partial_file(_private_cache: Path) -> None:
    errors: list[Exception] = []
    stop = threading.Event()

    def writer(index: int) -> None:
        for round_ in range(30):
            cache = CompileCache(_private_cache)
            cache.add(f"{index:04d}{round_:060d}")
            cache.save()

    def reader() -> None:
        while not stop.is_set():
            try:
                text = CompileCache(_private_cache).path.read_text()
            except FileNotFoundError:
                continue
            try:
                json.loads(text)
            except ValueError as error:
                errors.append(error)

    threads = [threading.Thread(target=writer, args=(index,)) for index in range(4)]
    watcher = threading.Thread(target=reader)
    watcher.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    watcher.join()
    assert errors == []
    clean = CompileCache(_private_cache).clean
    assert len(clean) >= 30 and all(len(key) == 64 for key in clean)
    assert not list(_private_cache.glob(".*.tmp"))


def test_concurrent_runs_all_succeed(tmp_path: Path, _private_cache: Path) -> None:
    for index in range(8):
        (tmp_path / f"m{index}.py").write_text(f"x = {index}\n")
    runs = [
        subprocess.Popen([sys.executable, "-m", "hfguard", "verify", f"m{i}.py", f"m{i + 1}.py"], cwd=tmp_path)
        for i in range(0, 8, 2)
    ]
    assert [run.wait() for run in runs] == [0] * 4
    stored = json.loads(CompileCache(_private_cache).path.read_text())
    assert set(stored["clean"]) <= {CompileCache.key(f"x = {i}\n".encode()) for i in range(8)}


def test_process_pool_gives_the_same_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for i in range(40):
        Path(f"f{i}.py").write_text("x = 1\n" * (i + 1) if i % 3 else "def f():\n  return\n    x\n")
    names = [f"f{i}.py" for i in range(40)]
    clean = frozenset({CompileCache.key(b"x = 1\n" * 2)})
    serial = check_files(names, clean, jobs=1)
    monkeypatch.setattr(verify_module, "POOL_MIN_BYTES", 0)
    assert check_files(names, clean, jobs=2) == serial
    assert sum(result.finding is not None for result in serial) == 14
    assert [name for name, result in zip(names, serial) if result.cached] == ["f1.py"]
    assert all(result.stamp is None for result in serial)


def test_verify_loads_no_heavy_module(project: Path) -> None:
    result, loaded = run_listing_heavy_imports(["verify"], project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert loaded == []


def test_light_commands_never_import_the_team_module_or_torch(project_dir: Path, tmp_path: Path) -> None:
    """With team check modules in the registry, verify, generate, coverage, comment and compare read the registry and
    the results only: neither the team's module (importable here, and loud if imported) nor torch is loaded; lock reads
    transformers (and so torch), never the team's module."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "acme_probe_checks.py").write_text("raise SystemExit('the team module was imported')\n")
    config = project_dir / "hfguard.toml"
    config.write_text('checks = ["acme_probe_checks"]\n' + config.read_text().replace("[models.bert]\n", '[models.bert]\noff = { probe = "x" }\n'))
    env, watch = {"PYTHONPATH": str(site)}, ("acme_probe_checks",)
    commands = [["generate"], ["verify"], ["generate", "--check"], ["coverage", "--json", "a.json"], ["coverage", "--json", "b.json"],
                ["comment", "--report", "a.json", "--dry-run", "--pr", "1"], ["compare", "a.json", "b.json"]]
    for argv in commands:
        result, loaded = run_listing_heavy_imports(argv, project_dir, watch, env)
        assert result.returncode == 0, (argv, result.stdout + result.stderr)
        assert [m for m in loaded if m != "jinja2" or argv[0] == "verify"] == [], (argv, loaded)  # generate renders with jinja2
    result, loaded = run_listing_heavy_imports(["lock", "--check"], project_dir, watch, env)
    assert result.returncode == 0 and "acme_probe_checks" not in loaded


# --- generated files: stale, hand-edited, orphans -------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A registry of bert and gpt2 with a hand-written lock, a user template, and fresh files."""
    (tmp_path / "hfguard.toml").write_text(registry("bert", "gpt2"))
    (tmp_path / "hfguard.lock").write_text(catalogue().to_json())
    (tmp_path / "hfguard-templates").mkdir()
    (tmp_path / "hfguard-templates" / "encoder-only.j2").write_text(TEMPLATE)
    for model_type in ("bert", "gpt2"):
        _write_generated(tmp_path, model_type)
    return tmp_path


def _write_generated(root: Path, model_type: str, inputs: str | None = None) -> Path:
    """A sealed file with the stamp generate would write for the entry (its current inputs hash)."""
    config = load_config(root / "hfguard.toml")
    entry = config.models.get(model_type)
    planned = plan_file(config, catalogue(), entry) if entry else None
    family = planned.family if planned else "encoder-only"
    text = seal(header(model_type, family, family, 1, inputs or planned.inputs) + "\ndef test_ok():\n    assert True\n")
    path = config.tests_dir / stamp.test_file_name(model_type)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _run(project: Path, monkeypatch: pytest.MonkeyPatch, *paths: str) -> Report:
    monkeypatch.chdir(project)
    return verify([Path(p) for p in paths] or None, load_config(project / "hfguard.toml"))


def _codes(report: Report) -> list[tuple[str, int, str, str]]:
    return [(f.path, f.line, f.code, f.severity) for f in report.findings]


def test_fresh_generated_files_are_clean(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report = _run(project, monkeypatch)
    assert (report.findings, report.notes, report.files) == ([], [], 2)


def test_hand_edit_is_reported_with_the_fixing_command(project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    path = project / "tests/models/test_hf_bert.py"
    path.write_text(path.read_text() + "# my tweak\n")
    monkeypatch.chdir(project)
    assert main([]) == 1
    out = capsys.readouterr().out
    assert out == (
        "tests/models/test_hf_bert.py:1:1: HFG110 generated file was edited by hand; put your own tests in "
        "tests/models/test_hf_bert_extra.py (or change the template through 'templates_dir'), then run "
        "'hfguard generate bert' (it backs up your edit)\n"
        "hfguard verify: 2 files checked (0 from the cache); 1 finding: 1 HFG110\n"
    )


def test_older_template_or_entry_is_stale(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "hfguard-templates" / "encoder-only.j2").write_text(TEMPLATE + "{# changed #}\n")
    report = _run(project, monkeypatch)
    assert _codes(report) == [("tests/models/test_hf_bert.py", 1, "HFG111", "error")]
    assert report.findings[0].fix == "hfguard generate bert"
    (project / "hfguard.toml").write_text(registry("bert", "gpt2", gpt2="tiny = { n_layer = 1 }"))
    report = _run(project, monkeypatch, "tests/models/test_hf_gpt2.py")
    assert _codes(report) == [("tests/models/test_hf_gpt2.py", 1, "HFG111", "error")]


def test_without_a_lock_only_the_inputs_check_is_skipped(project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "hfguard.lock").unlink()
    (project / "hfguard-templates" / "encoder-only.j2").write_text(TEMPLATE + "{# changed #}\n")
    path = project / "tests/models/test_hf_gpt2.py"
    path.write_text(path.read_text().replace("assert True", "assert 1"))
    monkeypatch.chdir(project)
    assert main([]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("tests/models/test_hf_gpt2.py:1:1: HFG110 ")
    assert captured.err == (
        "hfguard verify: note: no hfguard.lock: skipped the registry and stale-inputs checks (run 'hfguard lock')\n"
    )


@pytest.mark.parametrize(("orphans", "severity", "exit_code"), [("error", "error", 1), ("warning", "warning", 0)])
def test_orphans_follow_the_configured_severity(
    project: Path, monkeypatch: pytest.MonkeyPatch, orphans: str, severity: str, exit_code: int
) -> None:
    _write_generated(project, "roberta", inputs="0123456789abcdef")
    (project / "tests/models/test_hf_gpt2.py").unlink()
    (project / "hfguard.toml").write_text(f'orphans = "{orphans}"\n' + registry("bert", "gpt2"))
    report = _run(project, monkeypatch)
    assert _codes(report) == [
        ("hfguard.toml", 7, "HFG121", severity),
        ("tests/models/test_hf_roberta.py", 1, "HFG120", severity),
    ]
    assert report.exit_code == exit_code
    assert "add [models.roberta] to hfguard.toml" in report.findings[1].message
    assert report.findings[0].fix == "hfguard generate gpt2"
    only_file = _run(project, monkeypatch, "tests/models/test_hf_bert.py")
    assert only_file.findings == []  # entries without files are a whole-directory finding


def test_orphans_off(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_generated(project, "roberta", inputs="0123456789abcdef")
    (project / "tests/models/test_hf_gpt2.py").unlink()
    (project / "hfguard.toml").write_text('orphans = "off"\n' + registry("bert", "gpt2"))
    assert _run(project, monkeypatch).findings == []


def test_copied_generated_file_and_unstamped_entry_file(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bert = project / "tests/models/test_hf_bert.py"
    (project / "tests/models/test_hf_bert_copy.py").write_text(bert.read_text())
    bert.write_text("def test_mine():\n    pass\n")
    report = _run(project, monkeypatch)
    assert _codes(report) == [
        ("tests/models/test_hf_bert.py", 1, "HFG112", "error"),
        ("tests/models/test_hf_bert_copy.py", 1, "HFG120", "error"),
    ]
    assert "the entry generates tests/models/test_hf_bert.py; delete this copy" in report.findings[1].message
    assert "move it to tests/models/test_hf_bert_extra.py ('hfguard adopt' does it)" in report.findings[0].message


def test_own_file_at_a_generated_path_gets_the_same_verdict_alone_or_with_others(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bert = project / "tests/models/test_hf_bert.py"
    bert.write_text("def test_mine():\n    pass\n")
    monkeypatch.chdir(project)
    alone = verify([Path("tests/models/test_hf_bert.py")], load_config(Path("hfguard.toml")))
    together = verify([Path("tests/models/test_hf_bert.py"), Path("tests/models/test_hf_gpt2.py")], load_config(Path("hfguard.toml")))
    assert [(f.path, f.code) for f in alone.findings] == [(f.path, f.code) for f in together.findings] == [
        ("tests/models/test_hf_bert.py", "HFG112")]


def test_a_typo_in_the_registry_stops_verify_at_its_line(project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "hfguard.toml").write_text(registry("bert", "lama"))
    monkeypatch.chdir(project)
    assert main(["tests/models/test_hf_gpt2.py"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "hfguard.toml:" in captured.err and "unknown model type 'lama' (did you mean 'llama'" in captured.err


def test_hand_written_tests_beside_generated_ones_are_only_compiled(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "tests/models/test_custom.py").write_text("def test_x():\n    assert True\n")
    (project / "tests/models/test_broken.py").write_text("def test_x():\nassert True\n")
    report = _run(project, monkeypatch)
    assert _codes(report) == [("tests/models/test_broken.py", 2, "HFG101", "error")]


def test_collect_reports_import_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("test_ok.py").write_text("def test_a():\n    pass\n")
    Path("test_imports.py").write_text("import hfguard_no_such_module\n\ndef test_a():\n    pass\n")
    report = verify([Path("test_ok.py"), Path("test_imports.py")], None, collect=True)
    assert [(f.path, f.code) for f in report.findings] == [("test_imports.py", "HFG104")]
    assert "ModuleNotFoundError" in report.findings[0].message
    assert verify([Path("test_ok.py")], None, collect=True).findings == []


def test_cache_lives_in_the_user_cache_by_default(project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory) -> None:
    xdg = tmp_path_factory.mktemp("xdg")
    monkeypatch.delenv("HFGUARD_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg))
    _run(project, monkeypatch)
    cache, note = CompileCache.for_root(project)
    assert note is None and cache.path.parent == xdg / "hfguard" and len(cache.clean) == 2
    assert not (project / ".hfguard-cache").exists() and os.environ.get("HFGUARD_CACHE_DIR") is None


BROKEN = "def test_x():\n  x = 1\n   y = 2\n"


def _baseline(project: Path, *names: str) -> None:
    """Record the named files (relative to the registry) as already broken, as 'hfguard adopt' does."""
    debts = {}
    for name in names:
        data = (project / name).read_bytes()
        finding = compile_finding(name, data)
        assert finding is not None
        debts[name] = Debt(name, hashlib.sha256(data).hexdigest(), finding.line, f"{finding.code} {finding.message}")
    write_baseline(project / BASELINE_NAME, debts)


def test_a_big_tree_goes_on_past_links_and_folders_and_ends_with_a_summary(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 20 point 3: a link (never followed) and a folder named like a file are one finding each; the rest is verified."""
    team = project / "test" / "skills"
    team.mkdir(parents=True)
    (team / "test_hf_bert.py").write_text(BROKEN)
    (team / "test_hf_gpt2.py").write_text("def test_x():\n    pass\n")
    (team / "test_hf_t5.py").write_text(BROKEN)  # new breakage: not in the baseline
    (project / "scripts").mkdir()
    (project / "scripts" / "gone.py").symlink_to("nowhere.py")  # dangling
    (team / "test_hf_alias.py").symlink_to("test_hf_gpt2.py")  # a link to a real file: not read either
    (team / "test_hf_dir.py").mkdir()
    (project / ".venv" / "lib").mkdir(parents=True)
    (project / ".venv" / "lib" / "broken.py").write_text(BROKEN)  # folders starting with a dot are not walked
    _baseline(project, "test/skills/test_hf_bert.py")
    monkeypatch.chdir(project)
    assert main(["."]) == 1
    out = capsys.readouterr().out
    assert re.findall(r"^(\S+):\d+:\d+: (HFG\d+)", out, re.M) == [
        ("scripts/gone.py", "HFG105"), ("test/skills/test_hf_alias.py", "HFG105"), ("test/skills/test_hf_dir.py", "HFG106"),
        ("test/skills/test_hf_t5.py", "HFG101")]
    assert "test/skills/test_hf_alias.py:1:1: HFG105 is a symbolic link, which hfguard does not follow" in out
    assert out.splitlines()[-1] == ("hfguard verify: 5 files checked (0 from the cache); 4 findings: 1 HFG101, 2 HFG105, "
                                    "1 HFG106; 1 already broken, unchanged since the baseline hfguard-baseline.json")


def test_the_baseline_counts_old_breakage_fails_new_and_counts_down(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (project / "tests/models/test_hf_bert_extra.py").write_text(BROKEN)
    (project / "tests/models/test_hf_gpt2_extra.py").write_text(BROKEN)
    _baseline(project, "tests/models/test_hf_bert_extra.py", "tests/models/test_hf_gpt2_extra.py")
    monkeypatch.chdir(project)
    assert main(["tests/models/test_hf_bert_extra.py"]) == 0  # a hook run over a baselined file: counted, not failed
    assert capsys.readouterr().out.endswith("; no findings; 1 already broken, unchanged since the baseline hfguard-baseline.json\n")
    (project / "tests/models/test_hf_bert_extra.py").write_text(BROKEN + "# touched\n")  # changed, still broken
    (project / "tests/models/test_hf_gpt2_extra.py").write_text("def test_x():\n    pass\n")  # paid down
    assert main([]) == 1
    out = capsys.readouterr().out
    assert ("tests/models/test_hf_bert_extra.py:3:3: HFG101 unexpected indent (this file "
            "changed since the baseline recorded it broken: a changed file must compile)") in out
    assert "0 already broken, unchanged since the baseline hfguard-baseline.json; 2 baselined files changed" in out
    assert main(["--prune-baseline"]) == 0
    assert "2 entries dropped (1 fixed or removed, 1 changed and still broken" in capsys.readouterr().out
    assert json.loads((project / BASELINE_NAME).read_text())["files"] == {}


def test_a_damaged_baseline_is_one_line_and_exit_2(project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(project)
    for text, message in [("{", "hfguard-baseline.json:1:2: not JSON"),
                          ('{"schema": 1, "files": {"../x.py": {"sha256": "' + "0" * 64 + '", "line": 1, "finding": "x"}}}',
                           "invalid entry '../x.py'"),
                          ('{"schema": 7, "files": {}}', "not an hfguard baseline")]:
        (project / BASELINE_NAME).write_text(text)
        assert main([]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, err


def test_a_baselined_file_is_not_compiled_and_keeps_its_verdict_out_of_the_cache(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                                                  _private_cache: Path) -> None:
    (project / "tests/models/test_hf_bert_extra.py").write_text(BROKEN)
    _baseline(project, "tests/models/test_hf_bert_extra.py")
    monkeypatch.chdir(project)
    calls = []
    monkeypatch.setattr(verify_module, "compile_finding", lambda name, source: calls.append(name))
    report = verify([Path("tests/models/test_hf_bert_extra.py")], load_config(Path("hfguard.toml")))
    assert (report.baselined, report.findings, calls) == (1, [], [])
    assert CompileCache(_private_cache).clean == set()
