"""Allow ``python -m hfguard``."""

import sys

from hfguard.cli import main

sys.exit(main())
