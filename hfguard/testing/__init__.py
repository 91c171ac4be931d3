"""Runtime for generated tests: tiny configs, synthetic inputs, the checks; and the API of team checks.

Importing it is cheap: ``ModelCase`` and its checks load on first use, torch and transformers inside the
functions that need them. ``team_check``, ``team_mutation`` and ``TeamCase`` are the stable API a team's own
module uses (``hfguard.testing.team``; docs/team-checks.md).
"""

from __future__ import annotations

from typing import Any

__all__ = ["ModelCase", "TeamCase", "hub_tests_enabled", "team_check", "team_mutation"]
_TEAM_API = ("TeamCase", "team_check", "team_mutation")


def __getattr__(name: str) -> Any:
    """``ModelCase`` and ``hub_tests_enabled`` from ``hfguard.testing.case``, the team API from ``hfguard.testing.team``,
    on first use."""
    if name not in __all__:
        raise AttributeError(name)
    if name in _TEAM_API:
        from hfguard.testing import team

        return getattr(team, name)
    from hfguard.testing import case

    return getattr(case, name)
