"""hfguard: keep the per-model tests of a Hugging Face integration honest."""

__version__ = "0.1.0"
