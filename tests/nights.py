"""Sweep results as ``hfguard sweep`` writes them (schema 2, with per-check results), for the report's tests.

``write_results`` writes ``results.json`` and one generated-test stub per model type into a folder;
``scenario`` writes a previous night, tonight, tonight under another transformers and a history with
hostile names and messages in them, as the dashboard's tests and ``make demo``'s reader expect.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CHECKS = ("forward_shapes", "deterministic", "batch_independent", "save_load", "kv_cache")
HOSTILE_NAME = 'x<img src=x onerror="window.__pwned=1">'
HOSTILE_MESSAGE = "</script><script>window.__pwned=2</script> & \u2028 <b>bold</b>"


def model(name: str, family: str, status: str = "passing", message: str = "", checks: dict[str, Any] | None = None) -> dict[str, Any]:
    """One model type's entry; ``checks`` maps check id -> status or (status, message); unnamed checks passed."""
    given = checks or {}
    table = {}
    for check in CHECKS:
        value = given.get(check, "passed")
        status_, text = value if isinstance(value, tuple) else (value, "")
        table[check] = {"status": status_, "message": text, "seconds": 0.01}
    return {"model_type": name, "family": family, "status": status, "seconds": 0.5, "tests": len(CHECKS),
            "message": message, "file": f"tests/test_hf_{''.join(c if c.isalnum() else '_' for c in name)}.py", "checks": table}


def write_results(folder: Path, models: list[dict[str, Any]], version: str = "5.24.0", known: list[str] | None = None) -> Path:
    """``folder/results.json`` (schema 2) and a stub test file per model type; the results path. ``known``: the model
    types of its transformers (default: those swept), as a sweep records them."""
    (folder / "tests").mkdir(parents=True, exist_ok=True)
    for entry in models:
        (folder / entry["file"]).write_text(f"# generated test of {entry['model_type']}\ndef test_forward_shapes():\n    pass\n")
    totals: dict[str, dict[str, int]] = {}
    for entry in models:
        for check, outcome in entry["checks"].items():
            key = outcome["status"].replace("-", "_")
            row = totals.setdefault(check, {"passed": 0, "failed": 0, "error": 0, "skipped": 0, "xfail": 0, "not_applicable": 0})
            row[key] += 1
    known = sorted(known if known is not None else (entry["model_type"] for entry in models))
    data = {"schema_version": 2, "transformers_version": version, "wall_seconds": 12.5, "known_model_types": known, "summary": {},
            "checks": totals, "models": models}
    (folder / "results.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
    return folder / "results.json"


def tonight_models() -> list[dict[str, Any]]:
    return [
        model("bert", "encoder-only", checks={"kv_cache": ("not-applicable", "not applicable: no cache")}),
        model("gpt2", "decoder-only", "failing", "AssertionError: cached logits differ by 0.31 (tolerance 0.0001)",
              {"kv_cache": ("failed", "AssertionError: cached logits differ by 0.31 (tolerance 0.0001)")}),
        model("llama", "decoder-only"),
        model("siglip", "vision-text", checks={"kv_cache": "not-applicable"}),
        model("vit", "vision", checks={"kv_cache": "not-applicable"}),
        model("whisper", "speech", "error", "RuntimeError: shape mismatch in conv1d", {"forward_shapes": ("error", "RuntimeError: shape mismatch")}),
        model("clip", "vision-text", "skipped", "needs timm", dict.fromkeys(CHECKS, ("skipped", "needs timm"))),
        model("t5", "encoder-decoder", "xfail", "known: upstream bug", {"save_load": ("xfail", "known: upstream bug")}),
        model("brand_new", "decoder-only"),
        model(HOSTILE_NAME, "vision", "failing", HOSTILE_MESSAGE, {"deterministic": ("failed", HOSTILE_MESSAGE)}),
    ]


def scenario(root: Path) -> dict[str, Path]:
    """Previous night, tonight, tonight under the next transformers, and three nights of history; their paths."""
    previous = [m for m in tonight_models() if m["model_type"] != "brand_new"]
    for entry in previous:
        if entry["model_type"] in ("gpt2", HOSTILE_NAME):
            entry.update(model(entry["model_type"], entry["family"]))
        if entry["model_type"] == "siglip":
            entry.update(model("siglip", "vision-text", "failing", "AssertionError: batch sample 0 changed",
                               {"batch_independent": ("failed", "AssertionError: batch sample 0 changed")}))
    previous.append(model("retired", "vision"))
    upgraded = [m for m in tonight_models() if m["model_type"] != "llama"]
    for entry in upgraded:
        if entry["model_type"] == "bert":
            entry.update(model("bert", "encoder-only", "failing", "TypeError: BertModel.forward() got an unexpected keyword 'head_mask'",
                               {"forward_shapes": ("failed", "TypeError: unexpected keyword 'head_mask'"), "kv_cache": "not-applicable"}))
        if entry["model_type"] == "whisper":
            entry.update(model("whisper", "speech"))
        if entry["model_type"] == "siglip":
            entry["family"] = "vision"
    upgraded.append(model("next_model", "decoder-only"))
    paths = {
        "previous": write_results(root / "previous", previous),
        "tonight": write_results(root / "tonight", tonight_models()),
        "upgrade": write_results(root / "upgrade", upgraded, version="5.25.0"),
    }
    records = [
        {"schema": 2, "night": 1, "date": "2026-03-01", "branch": "main", "event": "schedule", "total": 9, "passing": 7,
         "passing_pct": 77.8, "generated_pct": 100.0, "not_passing": {"clip": "skipped", "t5": "xfail"}, "unknown": [], "missing_shards": [], "shards": 1},
        {"schema": 2, "night": 2, "date": "2026-03-02", "branch": "main", "event": "schedule", "total": 9, "passing": 6,
         "passing_pct": 66.7, "generated_pct": 100.0, "not_passing": {"clip": "skipped", "t5": "xfail", "whisper": "error"},
         "unknown": [], "missing_shards": [], "shards": 1},
        {"schema": 2, "night": 3, "date": "2026-03-03", "branch": "main", "event": "schedule", "total": 5, "passing": 3,
         "passing_pct": 60.0, "generated_pct": 100.0, "not_passing": {"t5": "xfail"}, "unknown": ["whisper", "clip", "siglip", "vit"],
         "missing_shards": [2], "shards": 2},
        {"schema": 2, "night": 4, "date": "2026-03-04", "branch": "main", "event": "schedule", "total": 10, "passing": 5,
         "passing_pct": 50.0, "generated_pct": 100.0, "not_passing": {"clip": "skipped", "t5": "xfail", "whisper": "error",
                                                                       "siglip": "failing"}, "unknown": [], "missing_shards": [], "shards": 1},
        {"schema": 2, "night": 9, "date": "2026-03-05", "branch": "feature", "event": "workflow_dispatch", "total": 1, "passing": 0,
         "passing_pct": 0.0, "generated_pct": 0.0, "not_passing": {}, "unknown": [], "missing_shards": [], "shards": 1},
    ]
    history = root / "history.jsonl"
    history.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return {**paths, "history": history}
