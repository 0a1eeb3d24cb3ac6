"""Property-based tests over every importer and loader (hypothesis).

Profiles: ``ci`` (the default: a modest number of examples per loader, a
few seconds each) and ``deep`` (many more, for a hunt:
``HYPOTHESIS_PROFILE=deep pytest tests/fuzz``). The deadline doubles as
the hang guard: an example that takes seconds is a failure.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=40, deadline=10_000, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("deep", max_examples=1500, deadline=10_000,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

OUTCOMES: Counter[str] = Counter()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if OUTCOMES:
        tried = OUTCOMES["accepted"] + OUTCOMES["rejected"]
        terminalreporter.write_line(
            f"fuzzed files: {tried} tried, {OUTCOMES['rejected']} rejected with a clear error, "
            f"{OUTCOMES['accepted']} accepted (tracebacks and hangs fail the test)")
