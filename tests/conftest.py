"""Shared test configuration.

Hypothesis: no per-example deadline (the 2-core CI machine is noisy and speed is measured in
bench/, never asserted in tests); CI runs a fixed seed so a red run is reproducible.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, settings

settings.register_profile("dev", deadline=None, max_examples=200)
settings.register_profile(
    "ci",
    deadline=None,
    max_examples=300,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
BENCH_DATA = SHARED / "bench-data"
VECTORS = SHARED / "vectors"

# Redis fixtures (redis_server, redis_url, redis_outage) for tests marked @pytest.mark.redis.
pytest_plugins = ["tests.redis_fixtures"]
