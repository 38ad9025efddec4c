"""The durable-execution engine: checkpoints, history, timers, callbacks, invocation leases.

Other layers import from here, never from the modules (style.md §4).
"""

from durable_lambda_server.engine.clock import (
    AdjustableClock,
    Clock,
    FakeClock,
    SkippingClock,
    SystemClock,
)
from durable_lambda_server.engine.engine import Engine
from durable_lambda_server.engine.ids import IdSource
from durable_lambda_server.engine.leases import MAX_FAILED_INVOCATIONS
from durable_lambda_server.engine.messages import (
    FunctionRecord,
    InvocationTicket,
    StartExecution,
    StartResult,
)
from durable_lambda_server.engine.paging import parse_marker
from durable_lambda_server.engine.queries import DispatchOutlook
from durable_lambda_server.engine.store_errors import is_retryable

__all__ = [
    "MAX_FAILED_INVOCATIONS",
    "AdjustableClock",
    "Clock",
    "DispatchOutlook",
    "Engine",
    "FakeClock",
    "FunctionRecord",
    "IdSource",
    "InvocationTicket",
    "SkippingClock",
    "StartExecution",
    "StartResult",
    "SystemClock",
    "is_retryable",
    "parse_marker",
]
