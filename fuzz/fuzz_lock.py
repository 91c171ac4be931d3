"""atheris fuzz target: any bytes as ``hfguard.lock`` give a Catalogue or one line per problem.

    pip install atheris            # or: pip install -e '.[fuzz]'
    mkdir -p .fuzz/lock && python fuzz/fuzz_lock.py .fuzz/lock fuzz/corpus/lock -max_total_time=300

New inputs go to the first folder (.fuzz/ is not committed); fuzz/corpus/lock holds the seeds.
"""

import sys

import atheris

with atheris.instrument_imports(include=["hfguard", "tomllib", "json"]):
    from loaders import check_lock


if __name__ == "__main__":
    atheris.Setup(sys.argv, check_lock)
    atheris.Fuzz()
