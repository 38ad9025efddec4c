"""The durable-execution engine: checkpoints, history, timers, callbacks, invocation leases."""

from durable_lambda_server.engine.clock import Clock, FakeClock, SkippingClock, SystemClock
from durable_lambda_server.engine.ids import IdSource
from durable_lambda_server.engine.records import (
    FunctionRecord,
    InvocationTicket,
    StartExecution,
    StartResult,
)
from durable_lambda_server.engine.service import Engine

__all__ = [
    "Clock",
    "Engine",
    "FakeClock",
    "FunctionRecord",
    "IdSource",
    "InvocationTicket",
    "SkippingClock",
    "StartExecution",
    "StartResult",
    "SystemClock",
]
