"""The upgrade check of a pull request that moves the transformers pin: detection from git, and the comment section."""

from __future__ import annotations

import json
from pathlib import Path

from hfguard.compare import SCHEMA_VERSION
from hfguard.config import load_config
from hfguard.upgrade import comment_section, pinned_versions
from tests.conftest import run_hfguard
from tests.gitrepo import GitRepo
from tests.nights import scenario


def relock(lock_text: str, version: str) -> str:
    data = json.loads(lock_text)
    data["transformers_version"] = version
    return json.dumps(data, indent=1) + "\n"


def test_the_pin_is_the_lock_s_transformers_version_at_the_base_and_here(tmp_path: Path, lock_text: str) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.write("hfguard.toml", "[models.bert]\n")
    repo.write("hfguard.lock", relock(lock_text, "5.23.0"))
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "dependabot/pip/transformers-5.24.0")
    config = load_config(repo.path / "hfguard.toml")
    assert pinned_versions(config, "main") == ("5.23.0", "5.23.0")
    repo.write("hfguard.lock", relock(lock_text, "5.24.0"))
    repo.commit("Bump transformers from 5.23.0 to 5.24.0")
    assert pinned_versions(config, "main") == ("5.23.0", "5.24.0")


def test_the_comment_carries_the_upgrade_section(tmp_path: Path, project_dir: Path) -> None:
    paths = scenario(tmp_path / "nights")
    compared = tmp_path / "upgrade.json"
    run_hfguard("compare", str(paths["tonight"]), str(paths["upgrade"]), "--format", "json", "-o", str(compared), cwd=tmp_path)
    result = run_hfguard("comment", "--dry-run", "--upgrade", str(compared), cwd=project_dir)
    assert result.returncode == 0, result.stderr
    section = result.stdout.split("#### transformers 5.24.0 → 5.25.0", 1)[1]
    assert "Newly failing model types under the new pin: 1" in section
    assert "| `bert` | encoder-only | passing | failing | TypeError: BertModel.forward() got an unexpected keyword 'head\\_mask' |" in section
    assert "<" not in section
    bad = run_hfguard("comment", "--dry-run", "--upgrade", str(paths["history"]), cwd=project_dir)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "not JSON" in bad.stderr


def test_no_change_says_so(tmp_path: Path) -> None:
    from hfguard.compare import compare
    from hfguard.results import load_night

    night = load_night(scenario(tmp_path)["tonight"])
    section = comment_section(compare(night, night))
    assert section.startswith("#### transformers 5.24.0 → 5.24.0\n\nNo model type of the registry changes.")


HOSTILE = "<img src=x onerror=alert(1)> [x](https://evil.example) www.evil.example &#64;octocat @octocat\n# a heading"


def test_every_text_of_a_comparison_file_is_escaped_in_the_comment(tmp_path: Path, project_dir: Path) -> None:
    """Issue 19, case 4: the comparison JSON is read back from a file; its versions, labels, names, families, statuses
    and messages reach the comment as text (GitHub's renderer: no element, link, autolink, mention or heading)."""
    from tests.gfm import render

    entry = {"model_type": "bert", "family": {"a": HOSTILE, "b": HOSTILE}, "status": {"a": HOSTILE, "b": "failing"},
             "message": {"a": "", "b": HOSTILE}, "checks": []}
    side = {"label": HOSTILE, "transformers_version": HOSTILE, "model_types": 1, "passing": 0}
    comparison = {"schema_version": SCHEMA_VERSION, "a": side, "b": {**side, "transformers_version": None}, "newly_failing": [entry],
                  "fixed": [], "other_changes": [], "new": [], "removed": [], "not_swept": [], "family_changed": [entry],
                  "fixed_upstream": [], "check_totals": {}}
    (tmp_path / "upgrade.json").write_text(json.dumps(comparison))
    result = run_hfguard("comment", "--dry-run", "--upgrade", str(tmp_path / "upgrade.json"), cwd=project_dir)
    assert result.returncode == 0, result.stderr
    html = render(result.stdout.split("#### transformers ", 1)[1].join(["#### transformers ", ""]))
    assert "<img" not in html and "<a " not in html and "<h1>" not in html and "@octocat" not in html
    # every place the text shows, as text: the heading (2), the A (2) and B (1) lines, the rows' families, statuses and reasons (7)
    assert html.count("&amp;#64;octocat") == html.count("@\u200boctocat") == 12
    assert html.startswith("<h4>transformers &lt;img src=x")
    (tmp_path / "damaged.json").write_text(json.dumps({**comparison, "newly_failing": [{**entry, "status": {"a": 5}}]}))
    bad = run_hfguard("comment", "--dry-run", "--upgrade", str(tmp_path / "damaged.json"), cwd=project_dir)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "damaged 'hfguard compare' output: 'newly_failing'" in bad.stderr
    (tmp_path / "damaged.json").write_text(json.dumps({**comparison, "check_totals": {"team:x": {"a": "1", "b": 0}}}))
    bad = run_hfguard("comment", "--dry-run", "--upgrade", str(tmp_path / "damaged.json"), cwd=project_dir)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "damaged 'hfguard compare' output: 'check_totals'" in bad.stderr
