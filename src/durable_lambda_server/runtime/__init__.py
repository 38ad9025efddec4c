"""Runtime: dispatcher, invokers and the embedded ``Runtime`` that ties them to the engine."""

from durable_lambda_server.runtime.client import EngineServiceClient
from durable_lambda_server.runtime.dispatcher import Dispatcher
from durable_lambda_server.runtime.embedded import InvokeResult, Runtime
from durable_lambda_server.runtime.invokers import (
    FunctionConfig,
    InProcessInvoker,
    InvocationRequest,
    InvocationResult,
    Invoker,
    ProcessInvoker,
)

__all__ = [
    "Dispatcher",
    "EngineServiceClient",
    "FunctionConfig",
    "InProcessInvoker",
    "InvocationRequest",
    "InvocationResult",
    "InvokeResult",
    "Invoker",
    "ProcessInvoker",
    "Runtime",
]
