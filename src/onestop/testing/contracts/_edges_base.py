"""What the edge contracts share (see :mod:`onestop.testing.contracts.edges`)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

# Every subclass runs the same property test with another ``self`` (another adapter), which
# is the point of a contract: hypothesis's differing_executors check does not apply.
_SUPPRESSED = [HealthCheck.too_slow, HealthCheck.differing_executors]
_PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=_SUPPRESSED)
_FEW = settings(max_examples=10, deadline=None, suppress_health_check=_SUPPRESSED)
