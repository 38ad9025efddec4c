"""Size limits shared by the SDK, as in AWS SDK 3.0.0 ``constants`` (sdk-spec.md §10.3).

Owns the numbers only; the behaviour at each limit lives with the operation that enforces it
(child context / map / parallel summaries, large handler results in ``execution``).
"""

from __future__ import annotations

from typing import Final

__all__ = ["CHECKPOINT_SIZE_LIMIT_BYTES", "LAMBDA_RESPONSE_SIZE_LIMIT"]

# Largest operation payload the backend accepts. AWS compares it with len() of the serialized
# string, i.e. characters, not bytes (§4.6); we keep that so the same results overflow.
CHECKPOINT_SIZE_LIMIT_BYTES: Final[int] = 256 * 1024

# Lambda's 6 MB response cap minus headroom for the {"Status", "Result"} wrapper (§10.3).
LAMBDA_RESPONSE_SIZE_LIMIT: Final[int] = 6 * 1024 * 1024 - 50
