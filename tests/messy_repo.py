"""A repository shaped like the seed team's (issue 20), written by a script into a new folder and committed with git.

Like that team's public repository: 1,000+ tracked ``test_hf_*.py`` files in 30+ folders, the same names in several
folders, a quarter of them broken in the ways script-generated files break (indentation, unterminated strings, a
missing colon, tabs, ``return`` outside a function, a null byte); every kind of name (model types, spellings,
suffixes, checkpoint names, types transformers v5 removed, things that are no transformers model, generic words,
misspellings, types that cannot be generated); a root ``pytest.ini`` with ``testpaths``, a ``test/pytest.ini`` with
``--import-mode=prepend``, conftest files importing a package that is not installed, dangling links in non-test
folders, a link and a folder named ``test_hf_*.py``, and three hand-written files where hfguard's default tests
folder puts generated ones. Deterministic: the same bytes every time.

    python tests/messy_repo.py DIR      # writes and commits the repository in DIR (which must not exist)
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

SEED = 20
BROKEN_SHARE = 0.25

# model types of transformers 5.x that hfguard generates tests for (standalone, a family it feeds)
MODEL_TYPES = """
albert align altclip autoformer bark bart beit bert big_bird bigbird_pegasus biogpt bit blenderbot blip bloom bridgetower
bros camembert canine chameleon chinese_clip clap clip clipseg clvp codegen cohere conditional_detr convbert convnext
convnextv2 cpmant ctrl cvt dbrx deberta deformable_detr deit depth_pro detr dinat dinov2 distilbert dpr dpt efficientnet
electra encodec ernie esm falcon falcon_mamba flaubert flava fnet focalnet fsmt funnel fuyu gemma gemma2 gemma3 git glm
glpn gpt2 gpt_bigcode gpt_neo gpt_neox gpt_neox_japanese gptj granite granitemoe groupvit hiera hubert ibert idefics
idefics2 idefics3 imagegpt informer instructblip jamba jetmoe layoutlm layoutlmv2 layoutlmv3 led levit lilt llama llava
llava_next longformer longt5 luke lxmert m2m_100 mamba mamba2 marian markuplm mask2former maskformer mbart mistral mixtral
mobilebert mobilenet_v1 mobilenet_v2 mobilevit mobilevitv2 mpnet mpt mra mt5 musicgen mvp nystromformer olmo olmoe
oneformer opt owlv2 owlvit paligemma patchtsmixer patchtst pegasus pegasus_x perceiver persimmon phi phi3 poolformer
prophetnet pvt pvt_v2 qwen2 qwen2_moe qwen2_vl qwen2_audio recurrent_gemma reformer regnet rembert resnet roberta roc_bert
roformer rt_detr rwkv sam seamless_m4t segformer seggpt sew siglip speech_to_text speecht5 splinter squeezebert stablelm
starcoder2 swiftformer swin swin2sr swinv2 switch_transformers t5 tapas time_series_transformer timesformer tvp udop umt5
unispeech univnet videomae vilt vipllava visual_bert vit vit_mae vit_msn vitdet vits vivit wav2vec2 wavlm whisper xclip
xglm xlm xlnet xmod yolos yoso zamba
""".split()
HEAD_ONLY = "trocr vitmatte vitpose zoedepth upernet depth_anything superpoint pix2struct pop2piano superglue".split()
SPELLINGS = """
bert_generation xlm_roberta xlm_roberta_xl gpt_sw3 blenderbot_small deberta_v2 wav2vec2_bert wav2vec2_conformer data2vec_text
data2vec_audio data2vec_vision openai_gpt gpt_j bigbird megatron_bert roberta_prelayernorm sew_d unispeech_sat kosmos_2
donut_swin maskformer_swin grounding_dino table_transformer vision_text_dual_encoder audio_spectrogram_transformer
layoutlm_v3 gptneox encoder_decoder vision_encoder_decoder
""".split()
CHECKPOINTS = """
bert_base_uncased bert_large_cased distilbert_base_uncased roberta_large xlm_roberta_base t5_small t5_base flan_t5_base
whisper_tiny whisper_small wav2vec2_base hubert_large llama_7b llama_2_7b tinyllama codellama codellama_7b_instruct pythia
pythia_70m gpt2_medium gpt2_large gpt_neo_125m opt_125m mistral_7b falcon_7b bloomz mt0_base starcoder deberta_v3_base
vit_base_patch16_224 phi_2 gptj_6b
""".split()
REMOVED = """
qdqbert nezha realm van tvlt transfo_xl xlm_prophetnet retribert mega ernie_m graphormer jukebox mctct nat open_llama
efficientformer deta speech_to_text_2 trajectory_transformer vit_hybrid gptsan_japanese mmbt
""".split()
NOT_TRANSFORMERS = "tei tgi claude3_haiku stable_diffusion audioldm2 graphsage gpt4 vllm ollama sdxl kandinsky controlnet yolov8".split()
GENERIC = "audio vision encoder_only decoder_only __help text multimodal speech template base_model utils".split()
UNKNOWN = "camenbert distillbert robreta electraa llamma mistrall wave2vec2 hindi_causal_lm ipfs_accelerate custom_model qwen".split()
CANNOT_GENERATE = "nougat rag decision_transformer layoutxlm speecht5_hifigan align_text_model blip_text_model".split()

# folder -> (share of the names it holds, suffix its files carry, or None); 34 folders
FOLDERS: dict[str, tuple[float, str | None]] = {
    "test": (0.30, None),
    "test/improved": (0.85, "improved"),
    "test/skills": (0.70, None),
    "test/skillset": (0.45, None),
    "test/skills/fixed_tests": (0.35, None),
    "test/standardized": (0.20, "standardized"),
    "test/fixed_generated": (0.10, "fixed"),
    "test/refactored/models": (0.06, None),
    "test/refactored/models/text": (0.05, None),
    "test/refactored/models/vision": (0.05, None),
    "test/refactored/models/audio": (0.04, None),
    "test/refactored/models/multimodal": (0.04, None),
    "test/generated_tests": (0.05, None),
    "test/generated_tests/batch_2": (0.04, None),
    "test/hf_tests": (0.05, None),
    "test/key_models": (0.03, None),
    "test/apis": (0.02, None),
    "test/api_backends": (0.02, None),
    "test/web_platform": (0.02, None),
    "test/mobile": (0.02, None),
    "test/distributed": (0.02, None),
    "test/ipfs": (0.02, None),
    "test/benchmarks": (0.02, None),
    "test/sample_tests": (0.02, None),
    "test/new_tests": (0.03, None),
    "test/archive": (0.03, None),
    "test/archive/old_tests": (0.03, None),
    "test/comprehensive": (0.02, "comprehensive"),
    "test/integration": (0.02, None),
    "test/skills/templates_out": (0.02, None),
    "generators/output": (0.03, None),
    "generators/output/legacy": (0.02, None),
    "duckdb_api/tests": (0.02, None),
    "tests/models": (0.0, None),  # filled below: hand-written files where hfguard's default tests folder goes
}
# where hfguard's default tests folder (tests/models) will generate files: hand-written, one of them broken
COLLIDING = {"bert": False, "gpt2": True, "t5": False}
MISSING_PACKAGE = "ipfs_accelerate_py"  # the team's own package, not installed here
DANGLING_LINKS = {  # non-test folders
    "generators/legacy_generator.py": "../archive/legacy_generator.py",
    "duckdb_api/schema.py": "/nonexistent/duckdb_api/schema.py",
    "scripts/benchmark_all.py": "benchmark_all_v2.py",
    "ipfs_worker/skills/hf_bert.py": "../../skills/hf_bert.py",
}

TEMPLATE = '''\
#!/usr/bin/env python3
"""
Test file for {title} models ({folder}).

Generated by the HuggingFace test generator (architecture-aware template: {arch}).
"""

import os
import sys
import json
import time
import logging
import datetime
import traceback
from unittest.mock import MagicMock

logging.basicConfig(level=logging.INFO)
logger = logging.getLogger(__name__)

try:
    import torch
    HAS_TORCH = True
except ImportError:
    torch = MagicMock()
    HAS_TORCH = False

try:
    import transformers
    HAS_TRANSFORMERS = True
except ImportError:
    transformers = MagicMock()
    HAS_TRANSFORMERS = False

{upper}_MODELS_REGISTRY = {{
{registry}}}


class Test{cls}Models:
    """Base test class for all {title}-family models."""

    def __init__(self, model_id=None):
        self.model_id = model_id or "{checkpoint}"
        self.task = "{task}"
        self.test_text = "The quick brown fox jumps over the lazy dog"
        self.results = {{}}
        self.examples = []
        self.performance_stats = {{}}

    def test_pipeline(self, device="auto"):
        """Test the model using the transformers pipeline API."""
        if device == "auto":
            device = "cuda" if HAS_TORCH and torch.cuda.is_available() else "cpu"
        results = {{"model": self.model_id, "device": device, "task": self.task}}
        if not HAS_TRANSFORMERS:
            results["pipeline_error_type"] = "missing_dependency"
            results["pipeline_success"] = False
            return results
        try:
            start = time.time()
            pipeline = transformers.pipeline(self.task, model=self.model_id, device=device)
            results["load_time"] = time.time() - start
            output = pipeline(self.test_text)
            results["pipeline_success"] = True
            results["output"] = str(output)[:200]
        except Exception as error:
            results["pipeline_success"] = False
            results["pipeline_error"] = str(error)
            results["traceback"] = traceback.format_exc()
            logger.error("pipeline test failed: %s", error)
        return results

    def run_tests(self, all_hardware=False):
        """Run all tests for this model."""
        self.results["pipeline"] = self.test_pipeline()
        metadata = {{"model": self.model_id, "timestamp": datetime.datetime.now().isoformat()}}
        return {{"results": self.results, "examples": self.examples, "metadata": metadata}}


def save_results(model_id, results, output_dir="collected_results"):
    """Save test results to a file."""
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(output_dir, "hf_{name}_" + time.strftime("%Y%m%d_%H%M%S") + ".json")
    with open(path, "w") as handle:
        json.dump(results, handle, indent=2, default=str)
    return path


def main():
    """Command-line entry point."""
    import argparse
    parser = argparse.ArgumentParser(description="Test {title} models")
    parser.add_argument("--model", type=str, help="Specific model to test")
    parser.add_argument("--save", action="store_true", help="Save results to file")
    args = parser.parse_args()
    tester = Test{cls}Models(args.model)
    results = tester.run_tests()
    if args.save:
        save_results(args.model, results)
    print(json.dumps(results, indent=2, default=str))
    return 0 if results["results"]["pipeline"].get("pipeline_success") else 1


if __name__ == "__main__":
    sys.exit(main())
'''

ARCHES = ("encoder-only", "decoder-only", "encoder-decoder", "vision", "speech", "multimodal")
TASKS = ("fill-mask", "text-generation", "text2text-generation", "image-classification", "automatic-speech-recognition",
         "image-to-text")


def names() -> list[str]:
    """Every base name the repository's files carry (before a folder's suffix)."""
    return [*MODEL_TYPES, *HEAD_ONLY, *SPELLINGS, *CHECKPOINTS, *REMOVED, *NOT_TRANSFORMERS, *GENERIC, *UNKNOWN,
            *CANNOT_GENERATE]


def source(name: str, folder: str, rng: random.Random) -> str:
    """A team's test file for ``name`` in ``folder``, as their generator wrote it."""
    arch = rng.randrange(len(ARCHES))
    checkpoints = [f"org/{name.strip('_')}-{size}" for size in rng.sample(["tiny", "small", "base", "large", "xl"], rng.randint(1, 4))]
    registry = "".join(f'    "{checkpoint}": {{\n        "description": "{name} {index}",\n        "class": "{_class(name)}Model",\n'
                       f'        "default": {index == 0},\n    }},\n' for index, checkpoint in enumerate(checkpoints))
    return TEMPLATE.format(title=name.strip("_").replace("_", " ").title(), folder=folder, arch=ARCHES[arch],
                           upper=_class(name).upper(), registry=registry, cls=_class(name), checkpoint=checkpoints[0],
                           task=TASKS[arch], name=name)


def _class(name: str) -> str:
    return "".join(part.title() for part in name.replace("-", "_").split("_") if part) or "Help"


def break_source(text: str, kind: int) -> bytes:
    """``text`` broken in one of the ways script-generated test files break."""
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("    def test_pipeline"))
    if kind == 0:  # unexpected indent
        lines.insert(at + 4, "                results = {}")
    elif kind == 1:  # unindent does not match any outer indentation level
        lines[at + 3] = "      " + lines[at + 3].lstrip()
    elif kind == 2:  # unterminated triple-quoted string
        lines[at + 1] = '        """Test the model using the transformers pipeline API.'
    elif kind == 3:  # unterminated string literal
        lines[at + 6] = lines[at + 6].replace('"pipeline_error_type"', '"pipeline_error_type')
    elif kind == 4:  # missing colon
        lines[at] = lines[at].rstrip(":")
    elif kind == 5:  # unclosed parenthesis
        lines.insert(at + 2, "        logger.info(\"testing %s\", (self.model_id,")
    elif kind == 6:  # tabs mixed with spaces
        lines[at + 3] = "\t" + lines[at + 3].lstrip()
    elif kind == 7:  # expected an indented block
        lines[at + 1] = "    try:"
    elif kind == 8:  # 'return' outside function (a compiler error, not a parser error)
        lines.append("return 0")
    else:  # a null byte
        return ("\n".join(lines)).encode() + b"\0\n"
    return "\n".join(lines).encode()


BREAK_KINDS = 10


def write_repository(root: Path) -> dict[str, int]:
    """Write and commit the repository at ``root``; counts of what it holds."""
    rng = random.Random(SEED)
    root.mkdir(parents=True)
    files: dict[str, bytes] = {}
    every = names()
    chosen_in = {folder: sorted(rng.sample(every, round(share * len(every)))) for folder, (share, _) in FOLDERS.items()}
    used = {name for chosen in chosen_in.values() for name in chosen}
    chosen_in["test"] = sorted(set(chosen_in["test"]) | (set(every) - used))  # every name somewhere
    for folder, (_, suffix) in FOLDERS.items():
        for name in chosen_in[folder]:
            stem = f"{name}_{suffix}" if suffix and rng.random() < 0.8 else name
            text = source(name, folder, rng)
            broken = rng.random() < BROKEN_SHARE
            files[f"{folder}/test_hf_{stem}.py"] = break_source(text, rng.randrange(BREAK_KINDS)) if broken else text.encode()
    for name, broken in COLLIDING.items():
        text = f"\"\"\"Our own checks of {name}.\"\"\"\n\n\ndef test_{name}_wrapper_loads():\n    assert '{name}'\n"
        files[f"tests/models/test_hf_{name}.py"] = break_source(source(name, "tests/models", rng), 0) if broken else text.encode()
    files.update(_other_files())
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    for relative, target in DANGLING_LINKS.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, root / relative)
    os.symlink("test_hf_bert.py", root / "test/test_hf_alias.py")  # a link named like a test file (to a real one)
    (root / "test/skills/test_hf_folder.py").mkdir()  # a folder where a file belongs
    (root / "test/skills/test_hf_folder.py/README.md").write_text("Notes kept in a folder named like a test file.\n")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "the team's tests, as their generator left them")
    tests = [relative for relative in files if Path(relative).name.startswith("test_hf_")]
    return {"files": len(tests), "folders": len({str(Path(relative).parent) for relative in tests}),
            "broken": sum(_broken(files[relative]) for relative in tests)}


def _broken(data: bytes) -> bool:
    try:
        compile(data, "x.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return True
    return False


def _other_files() -> dict[str, bytes]:
    """The team's configuration, conftest files and non-test code."""
    missing = f"import {MISSING_PACKAGE}  # the team's package: not installed here\n"
    return {
        "pytest.ini": b"[pytest]\ntestpaths = test\npython_files = test_*.py\naddopts = -ra --strict-markers\nmarkers =\n"
                      b"    slow: marks tests as slow\n    webgpu: needs a browser with WebGPU\n",
        "test/pytest.ini": b"[pytest]\naddopts = --import-mode=prepend\npython_files = test_*.py check_*.py\n",
        "test/conftest.py": b'import pytest\n\n\n@pytest.fixture\ndef test_text():\n    return "The quick brown fox"\n',
        "test/skills/conftest.py": missing.encode(),
        "test/improved/conftest.py": missing.encode(),
        "test/apis/conftest.py": missing.encode(),
        "generators/test_generator.py": b'"""Writes test_hf_*.py files from templates (string concatenation)."""\n\n\ndef generate(name):\n'
                                        b'    return "def test_" + name + "():\\n    pass\\n"\n',
        "duckdb_api/__init__.py": b"",
        "duckdb_api/core.py": b'def connect(path=":memory:"):\n    return path\n',
        "scripts/run_all.py": b"import subprocess\n\nsubprocess.run(['pytest', 'test'])\n",
        "README.md": b"# IPFS Accelerate (test suite shape)\n\n100% syntax correctness in deployed files.\n",
        "requirements.txt": b"torch\ntransformers\n",
    }


def _git(root: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "team", "GIT_AUTHOR_EMAIL": "team@example.com", "GIT_COMMITTER_NAME": "team",
           "GIT_COMMITTER_EMAIL": "team@example.com", "GIT_AUTHOR_DATE": "2025-03-19T12:00:00Z",
           "GIT_COMMITTER_DATE": "2025-03-19T12:00:00Z"}
    subprocess.run(["git", *args], cwd=root, env=env, check=True)


if __name__ == "__main__":
    if len(sys.argv) != 2 or Path(sys.argv[1]).exists():
        sys.exit("usage: python tests/messy_repo.py DIR   (DIR must not exist)")
    counts = write_repository(Path(sys.argv[1]))
    print(f"wrote {counts['files']:,} test_hf_*.py files in {counts['folders']} folders ({counts['broken']:,} broken) "
          f"into {sys.argv[1]}, committed")
