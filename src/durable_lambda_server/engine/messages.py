"""Engine input and output records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["FunctionRecord", "InvocationTicket", "StartExecution", "StartResult"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FunctionRecord:
    """A function at one version (``$LATEST`` or a number): its handler and settings."""

    name: str
    handler: str
    timeout_seconds: int = 900
    environment: dict[str, str] = field(default_factory=dict)
    execution_timeout_seconds: int = 86400
    retention_period_days: int = 14
    durable: bool = True
    function_arn: str = ""
    version: str = "$LATEST"
    # Lambda-facing settings the engine does not interpret (Runtime, Role, Handler, CodeSha256...),
    # kept verbatim for GetFunction (set by the HTTP API's CreateFunction).
    api_config: dict[str, Any] = field(default_factory=dict)

    def config_dict(self) -> dict[str, Any]:
        """The settings the store keeps as the function's ``config`` JSON."""
        return {
            "api_config": self.api_config,
            "timeout_seconds": self.timeout_seconds,
            "environment": self.environment,
            "execution_timeout_seconds": self.execution_timeout_seconds,
            "retention_period_days": self.retention_period_days,
            "durable": self.durable,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class StartExecution:
    """A request to start an execution: an Invoke, or a chained invoke's target."""

    function_name: str
    input_payload: str | None = None
    execution_name: str | None = None
    qualifier: str | None = (
        None  # $LATEST, a version or an alias; also accepted inline as name:qualifier
    )
    execution_timeout_seconds: int | None = None
    execution_id: str | None = (
        None  # pre-assigned for chained invokes (their ARN is recorded first)
    )
    # A RequestResponse Invoke: throttled (429) rather than queued at the function's reserved
    # concurrency.
    synchronous: bool = False


@dataclass(frozen=True, slots=True)
class StartResult:
    """The started (or, for a repeated name, existing: ``created`` False) execution."""

    arn: str
    created: bool
    version: str = "$LATEST"  # the version the execution runs (X-Amz-Executed-Version)
    durable: bool = True
    ticket: Any = None  # InvocationTicket of its first invocation when started with ``claim_for``


@dataclass(frozen=True, slots=True, kw_only=True)
class InvocationTicket:
    """One claimed invocation: the lease that fences it and the event to hand the handler."""

    arn: str
    function_name: str
    request_id: str
    lease_token: str
    attempt: int
    event: Any
    version: str = "$LATEST"
    durable: bool = True
    # The execution's change counter when this invocation was claimed: a service-side completion
    # numbered above it raced the invocation (decision 0015).
    claim_seq: int = 0
