"""The Lambda context object handed to handlers (the fields of Lambda's Python runtime)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

__all__ = ["LambdaContext"]


@dataclass
class LambdaContext:
    """What ``awslambdaric`` passes as ``context``: request id, function identity, deadline."""

    aws_request_id: str
    function_name: str
    function_version: str = "$LATEST"
    invoked_function_arn: str = ""
    memory_limit_in_mb: int = 128
    log_group_name: str = ""
    log_stream_name: str = ""
    deadline_ms: int = 0
    tenant_id: str | None = None
    identity: object | None = None
    client_context: object | None = None
    _monotonic_deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        """Default the log group as Lambda names it and pin the deadline to the monotonic clock."""
        if not self.log_group_name:
            self.log_group_name = f"/aws/lambda/{self.function_name}"
        remaining_ms = self.deadline_ms - int(time.time() * 1000) if self.deadline_ms else 900_000
        self._monotonic_deadline = time.monotonic() + remaining_ms / 1000.0

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's Timeout, as Lambda's context reports them."""
        return max(0, int((self._monotonic_deadline - time.monotonic()) * 1000))
