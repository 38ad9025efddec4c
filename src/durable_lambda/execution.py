"""``@durable_execution``: the Lambda handler wrapper that runs user code durably (sdk-spec.md §3).

Owns one invocation end to end: parsing the event (§10.1), loading every state page, building
the root ``DurableContext``, running the user function on a worker thread while the checkpoint
thread runs, and mapping the outcome to the invocation output (§9.5, §10.2, §10.3).

Invariants: the checkpoint thread is stopped (after sending what was queued) before the output
is returned; when the checkpoint token was revoked during the invocation every outcome becomes
PENDING (§10.7); retryable infrastructure errors are raised out of the handler so the backend
retries the invocation, everything else becomes data in the output.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from durable_lambda import plugin
from durable_lambda._sdk.plugins import PluginRunner, resolve_factories
from durable_lambda._sdk.state import ExecutionState
from durable_lambda.constants import LAMBDA_RESPONSE_SIZE_LIMIT
from durable_lambda.context import DurableContext
from durable_lambda.exceptions import (
    BackgroundThreadError,
    BotoClientError,
    ExecutionError,
    InvocationError,
    SuspendExecution,
)
from durable_lambda.lambda_service import (
    DurableExecutionInvocationOutput,
    DurableServiceClient,
    ErrorObject,
    InvocationStatus,
    LambdaClient,
    Operation,
    OperationAction,
    OperationType,
    OperationUpdate,
)

__all__ = [
    "LAMBDA_RESPONSE_SIZE_LIMIT",
    "DurableExecutionInvocationInput",
    "DurableExecutionInvocationInputWithClient",
    "InitialExecutionState",
    "InvocationStatus",
    "durable_execution",
]

logger = logging.getLogger(__name__)

_BAD_PAYLOAD = (
    "Unexpected payload provided to start the durable execution. "
    "Check your resource configurations to confirm the durability is set."
)


@dataclass(frozen=True)
class InitialExecutionState:
    """The first page of operations carried by the invocation event."""

    operations: list[Operation] = field(default_factory=list)
    next_marker: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> InitialExecutionState:
        """Parses the event's ``InitialExecutionState``; a missing one means no operations."""
        data = data or {}
        return cls(
            operations=[Operation.from_dict(op) for op in data.get("Operations") or []],
            next_marker=data.get("NextMarker") or "",
        )

    from_json_dict = from_dict

    def to_dict(self) -> dict[str, Any]:
        """Returns the wire form, the inverse of ``from_dict``."""
        return {
            "Operations": [op.to_dict() for op in self.operations],
            "NextMarker": self.next_marker,
        }

    to_json_dict = to_dict


@dataclass(frozen=True)
class DurableExecutionInvocationInput:
    """The invocation event of a durable function (§10.1)."""

    durable_execution_arn: str
    checkpoint_token: str
    initial_execution_state: InitialExecutionState = field(default_factory=InitialExecutionState)
    updated_operation_ids: list[str] | None = None

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any]) -> DurableExecutionInvocationInput:
        """Parses the event; raises KeyError/TypeError/AttributeError/ValueError when malformed."""
        updated = data.get("UpdatedOperationIds")
        return cls(
            durable_execution_arn=data["DurableExecutionArn"],
            checkpoint_token=data["CheckpointToken"],
            initial_execution_state=InitialExecutionState.from_dict(
                data.get("InitialExecutionState")
            ),
            updated_operation_ids=list(updated) if updated is not None else None,
        )

    from_dict = from_json_dict

    def to_dict(self) -> dict[str, Any]:
        """Returns the event in its wire form, the inverse of ``from_json_dict``."""
        d: dict[str, Any] = {
            "DurableExecutionArn": self.durable_execution_arn,
            "CheckpointToken": self.checkpoint_token,
            "InitialExecutionState": self.initial_execution_state.to_dict(),
        }
        if self.updated_operation_ids is not None:
            d["UpdatedOperationIds"] = list(self.updated_operation_ids)
        return d

    to_json_dict = to_dict


@dataclass(frozen=True)
class DurableExecutionInvocationInputWithClient(DurableExecutionInvocationInput):
    """The event plus the service client to use: how a runtime injects an in-process backend."""

    service_client: DurableServiceClient | None = field(default=None, kw_only=True)

    @classmethod
    def from_durable_execution_invocation_input(
        cls, invocation_input: DurableExecutionInvocationInput, service_client: Any
    ) -> DurableExecutionInvocationInputWithClient:
        """Attaches ``service_client`` to a parsed event, for tests and in-process runtimes."""
        return cls(
            durable_execution_arn=invocation_input.durable_execution_arn,
            checkpoint_token=invocation_input.checkpoint_token,
            initial_execution_state=invocation_input.initial_execution_state,
            updated_operation_ids=invocation_input.updated_operation_ids,
            service_client=service_client,
        )


Handler = Callable[[Any, DurableContext], Any]


def durable_execution(
    func: Handler | None = None,
    *,
    boto3_client: Any = None,
    plugins: list[Any] | None = None,
) -> Any:
    """Wraps ``func(event, context)`` into a Lambda handler ``(event, lambda_context)``.

    Usable bare or with keyword arguments. ``plugins`` takes instrumentation plugin factories
    (§17), resolved once here together with those named in ``DURABLE_EXECUTION_PLUGINS``.
    """
    if func is None:
        return functools.partial(durable_execution, boto3_client=boto3_client, plugins=plugins)
    # Resolved once, at decoration (cold start): bad registrations fail loudly here (§17).
    factories = resolve_factories(plugins)

    @functools.wraps(func)
    def handler(event: Any, lambda_context: Any = None) -> dict[str, Any]:
        return _invoke(func, event, lambda_context, boto3_client, factories)

    # Lets a local runtime tell a durable handler from a plain one when no DurableConfig says so.
    handler.__durable_execution__ = True  # type: ignore[attr-defined]
    return handler


def _parse_event(
    event: Any, boto3_client: Any
) -> tuple[DurableExecutionInvocationInput, DurableServiceClient]:
    if isinstance(event, DurableExecutionInvocationInputWithClient) and event.service_client:
        return event, event.service_client
    if isinstance(event, DurableExecutionInvocationInput):
        parsed = event
    else:
        try:
            parsed = DurableExecutionInvocationInput.from_json_dict(event)
        except (KeyError, TypeError, AttributeError, ValueError) as err:
            raise ExecutionError(_BAD_PAYLOAD) from err
    if boto3_client is not None:
        return parsed, LambdaClient(boto3_client)
    from durable_lambda._sdk.hosting import default_service_client

    return parsed, default_service_client() or LambdaClient.initialize_client()


def _input_payload(state: ExecutionState) -> Any:
    """The EXECUTION operation (id = last ARN segment) holds the input (§3 step 5)."""
    execution_id = state.durable_execution_arn.rsplit("/", 1)[-1]
    op = state.get_checkpoint_result(execution_id)
    raw = op.execution_details.input_payload if op and op.execution_details else None
    if raw is None or not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        logger.exception("durable execution input is not valid JSON")
        raise


def _invoke(
    func: Handler,
    event: Any,
    lambda_context: Any,
    boto3_client: Any,
    factories: list[Any] | None = None,
) -> dict[str, Any]:
    invocation, client = _parse_event(event, boto3_client)
    initial = invocation.initial_execution_state
    state = ExecutionState(
        invocation.durable_execution_arn,
        invocation.checkpoint_token,
        {op.operation_id: op for op in initial.operations},
        client,
    )
    try:
        state.fetch_paginated_operations(invocation.checkpoint_token, initial.next_marker)
    except BotoClientError as err:
        if err.is_retryable():
            raise
        return _failed(ErrorObject.from_exception(err)).to_dict()
    replaying = any(
        op.operation_type is not OperationType.EXECUTION for op in state.operations.values()
    )
    input_event = _input_payload(state)
    context = DurableContext.from_lambda_context(state, lambda_context, is_replaying=replaying)
    info = _invocation_info(state, lambda_context, input_event, first=not replaying)
    if factories:
        state.plugins = PluginRunner.create(factories, plugin.InvocationStartInfo(**info))
        state.plugins.call("on_invocation_start", plugin.InvocationStartInfo(**info))
    state.start()
    try:
        output = _run(func, input_event, context, state)
    except BaseException:
        state.close()
        state.plugins.call(
            "on_invocation_end",
            plugin.InvocationEndInfo(**info, status=plugin.InvocationStatus.RETRY),
        )
        raise
    state.close()
    if state.is_token_revoked and output.status is not InvocationStatus.PENDING:
        output = DurableExecutionInvocationOutput(InvocationStatus.PENDING)
    if state.plugins:
        end = plugin.InvocationEndInfo(
            **info,
            status=plugin.InvocationStatus(str(output.status)),
            error=output.error,
            execution_result=output.result,
        )
        state.plugins.call("on_invocation_end", end)
    return output.to_dict()


def _invocation_info(
    state: ExecutionState, lambda_context: Any, input_event: Any, *, first: bool
) -> dict[str, Any]:
    execution = state.get_checkpoint_result(state.durable_execution_arn.rsplit("/", 1)[-1])
    return {
        "request_id": getattr(lambda_context, "aws_request_id", None),
        "execution_arn": state.durable_execution_arn,
        "is_first_invocation": first,
        "execution_start_time": execution.start_timestamp if execution else None,
        "execution_input": input_event,
        "operations": tuple(state.operations.values()),
    }


def _run(
    func: Handler, input_event: Any, context: DurableContext, state: ExecutionState
) -> DurableExecutionInvocationOutput:
    try:
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="dex-handler") as pool:
            result = pool.submit(func, input_event, context).result()
        return _succeeded(result, state)
    except SuspendExecution:
        return DurableExecutionInvocationOutput(InvocationStatus.PENDING)
    except BackgroundThreadError as err:
        return _infrastructure_failure(err.source_exception or err, state)
    except InvocationError as err:
        return _infrastructure_failure(err, state)
    except Exception as err:  # boundary: user code failed -> FAILED output (§9.5)
        logger.debug("durable execution failed", exc_info=True)
        return _failed(ErrorObject.from_exception(err), state)


def _infrastructure_failure(
    err: BaseException, state: ExecutionState
) -> DurableExecutionInvocationOutput:
    """Maps an infrastructure failure to an invocation outcome (sdk-spec.md §9.5).

    After revocation -> PENDING; non-retryable API error -> FAILED; else re-raise so the backend
    retries the invocation.
    """
    if state.is_token_revoked:
        return DurableExecutionInvocationOutput(InvocationStatus.PENDING)
    if isinstance(err, BotoClientError) and not err.is_retryable():
        return _failed(ErrorObject.from_exception(err), state)
    raise err


def _execution_update(action: OperationAction, **fields: Any) -> OperationUpdate:
    # Ids of result checkpoints are unique per attempt: "execution-result-<epoch ms>" (§10.3).
    return OperationUpdate(
        operation_id=f"execution-result-{int(time.time() * 1000)}",
        operation_type=OperationType.EXECUTION,
        action=action,
        **fields,
    )


def _succeeded(result: Any, state: ExecutionState) -> DurableExecutionInvocationOutput:
    if result is None:
        return DurableExecutionInvocationOutput(InvocationStatus.SUCCEEDED)
    try:
        serialized = json.dumps(result)  # plain json, not the SDK serdes (§3)
    except (TypeError, ValueError) as err:
        return _failed(ErrorObject.from_exception(err), state)
    if len(serialized) > LAMBDA_RESPONSE_SIZE_LIMIT:
        state.create_checkpoint(_execution_update(OperationAction.SUCCEED, payload=serialized))
        return DurableExecutionInvocationOutput(InvocationStatus.SUCCEEDED, result="")
    return DurableExecutionInvocationOutput(InvocationStatus.SUCCEEDED, result=serialized)


def _failed(
    error: ErrorObject, state: ExecutionState | None = None
) -> DurableExecutionInvocationOutput:
    output = DurableExecutionInvocationOutput(InvocationStatus.FAILED, error=error)
    if state is not None and len(json.dumps(output.to_dict())) > LAMBDA_RESPONSE_SIZE_LIMIT:
        state.create_checkpoint(_execution_update(OperationAction.FAIL, error=error))
        return DurableExecutionInvocationOutput(InvocationStatus.FAILED)
    return output
