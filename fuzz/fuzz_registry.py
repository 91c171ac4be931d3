"""atheris fuzz target: any bytes as ``hfguard.toml`` / ``pyproject.toml`` give a Config or one line per problem.

    pip install atheris            # or: pip install -e '.[fuzz]'
    mkdir -p .fuzz/registry && python fuzz/fuzz_registry.py .fuzz/registry fuzz/corpus/registry -max_total_time=300

New inputs go to the first folder (.fuzz/ is not committed); fuzz/corpus/registry holds the seeds.

A finding is an uncaught exception (a traceback) or a failed assertion of ``fuzz/loaders.py``; libFuzzer
saves the input as ``crash-*`` in the working directory.
"""

import sys

import atheris

with atheris.instrument_imports(include=["hfguard", "tomllib", "json"]):
    from loaders import check_registry


def one_input(data: bytes) -> None:
    """Odd first byte: the bytes after it as a pyproject.toml ([tool.hfguard]); else as hfguard.toml."""
    name = "pyproject.toml" if data[:1] and data[0] % 2 else "hfguard.toml"
    check_registry(data[1:], name)


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
