"""The plain git hook script hfguard installs (``hfguard install-hook``), shipped as package data."""
