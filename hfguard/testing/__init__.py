"""Runtime for generated tests: tiny configs, synthetic inputs, shared assertions.

Importing it is cheap: torch and transformers are imported inside the functions that need them.
"""

from hfguard.testing.case import ModelCase, hub_tests_enabled

__all__ = ["ModelCase", "hub_tests_enabled"]
