"""Wire model shared by the SDK and the backend: operations, updates, errors, outputs.

Owns the JSON shapes of the Lambda durable-execution checkpoint contract (sdk-spec.md §10) as
frozen dataclasses with ``from_dict`` / ``to_dict``. This is the only SDK module that spells the
wire's PascalCase keys. It also defines ``DurableServiceClient``, the two-call interface through
which the SDK reaches a backend, and ``LambdaClient``, its boto3 implementation.

Timestamps: the invocation event carries epoch **milliseconds**, boto3 responses carry
``datetime`` objects. ``Operation.from_dict`` accepts both (and epoch seconds as float from raw
HTTP JSON is never seen by the SDK because boto3 parses it). ``to_dict`` emits epoch ms.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "CallbackDetails",
    "CallbackOptions",
    "CallbackTimeoutType",
    "ChainedInvokeDetails",
    "ChainedInvokeOptions",
    "CheckpointOutput",
    "CheckpointUpdatedExecutionState",
    "ContextDetails",
    "ContextOptions",
    "DurableExecutionInvocationOutput",
    "DurableServiceClient",
    "ErrorObject",
    "ExecutionDetails",
    "InvocationStatus",
    "LambdaClient",
    "Operation",
    "OperationAction",
    "OperationStatus",
    "OperationSubType",
    "OperationType",
    "OperationUpdate",
    "StateOutput",
    "StepDetails",
    "StepOptions",
    "WaitDetails",
    "WaitOptions",
]


class OperationType(StrEnum):
    """The wire ``Type`` of an operation: which protocol it follows."""

    EXECUTION = "EXECUTION"
    CONTEXT = "CONTEXT"
    STEP = "STEP"
    WAIT = "WAIT"
    CALLBACK = "CALLBACK"
    CHAINED_INVOKE = "CHAINED_INVOKE"


class OperationSubType(StrEnum):
    """The wire ``SubType``: which SDK call produced an operation of a given type."""

    STEP = "Step"
    WAIT = "Wait"
    CALLBACK = "Callback"
    RUN_IN_CHILD_CONTEXT = "RunInChildContext"
    MAP = "Map"
    MAP_ITERATION = "MapIteration"
    PARALLEL = "Parallel"
    PARALLEL_BRANCH = "ParallelBranch"
    WAIT_FOR_CALLBACK = "WaitForCallback"
    WAIT_FOR_CONDITION = "WaitForCondition"
    CHAINED_INVOKE = "ChainedInvoke"


class OperationStatus(StrEnum):
    """The wire ``Status`` of an operation.

    PENDING means a step (or ``wait_for_condition``) waits for its retry time; READY means that
    time came and it may START again.
    """

    STARTED = "STARTED"
    PENDING = "PENDING"
    READY = "READY"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    TIMED_OUT = "TIMED_OUT"
    STOPPED = "STOPPED"

    @property
    def is_terminal(self) -> bool:
        """Whether the operation has ended: it will never change status again."""
        return self in _TERMINAL


_TERMINAL = frozenset(
    {
        OperationStatus.SUCCEEDED,
        OperationStatus.FAILED,
        OperationStatus.CANCELLED,
        OperationStatus.TIMED_OUT,
        OperationStatus.STOPPED,
    }
)


class OperationAction(StrEnum):
    """The wire ``Action`` of an update: the state change the SDK asks for."""

    START = "START"
    SUCCEED = "SUCCEED"
    FAIL = "FAIL"
    RETRY = "RETRY"
    CANCEL = "CANCEL"


class InvocationStatus(StrEnum):
    """The ``Status`` a durable handler returns to the backend (sdk-spec.md §10.2)."""

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    PENDING = "PENDING"


class CallbackTimeoutType(Enum):
    """The ``ErrorType`` the backend records when a callback times out."""

    TIMEOUT = "Callback.Timeout"
    HEARTBEAT = "Callback.Heartbeat"


# --------------------------------------------------------------------------------------------
# helpers


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


_last_datetime: tuple[Any, datetime.datetime] = (
    None,
    datetime.datetime.fromtimestamp(0, tz=datetime.UTC),
)


def _to_datetime(value: Any) -> datetime.datetime | None:
    """Epoch ms (int, from the invocation event) or datetime (boto3) -> aware UTC datetime."""
    global _last_datetime  # noqa: PLW0603  (a one-entry cache; a stale read only misses it)
    if value is None:
        return None
    last = _last_datetime  # an operation's timestamps are often the same millisecond
    if last[0] == value and type(value) is int:
        return last[1]
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
    if isinstance(value, (int, float)):
        result = datetime.datetime.fromtimestamp(value / 1000.0, tz=datetime.UTC)
        if type(value) is int:
            _last_datetime = (value, result)
        return result
    raise TypeError(f"unsupported timestamp value: {value!r}")


def _to_epoch_ms(value: datetime.datetime | None) -> int | None:
    if value is None:
        return None
    return round(value.timestamp() * 1000)


# --------------------------------------------------------------------------------------------
# errors


@dataclass(frozen=True)
class ErrorObject:
    """The wire ``ErrorObject``: ErrorMessage, ErrorType, ErrorData, StackTrace."""

    message: str | None = None
    type: str | None = None
    data: str | None = None
    stack_trace: list[str] | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ErrorObject:
        """Parses the wire form; absent keys become None."""
        trace = data.get("StackTrace")
        return cls(
            message=data.get("ErrorMessage"),
            type=data.get("ErrorType"),
            data=data.get("ErrorData"),
            stack_trace=list(trace) if trace is not None else None,
        )

    def to_dict(self) -> dict[str, Any]:
        """Returns the wire form, omitting the fields that are None."""
        return _drop_none(
            {
                "ErrorMessage": self.message,
                "ErrorType": self.type,
                "ErrorData": self.data,
                "StackTrace": self.stack_trace,
            }
        )

    @classmethod
    def from_message(cls, message: str) -> ErrorObject:
        """Builds an error that carries only a message."""
        return cls(message=message)

    @classmethod
    def from_exception(cls, exception: BaseException) -> ErrorObject:
        """Builds the wire error for an exception (sdk-spec.md §9.3)."""
        # Imported late: exceptions imports this module for DurableOperationError.to_error_object.
        from durable_lambda.exceptions import DurableOperationError, SerDesError

        if isinstance(exception, SerDesError):
            return cls(
                message=exception.message,
                type=SerDesError.FULL_TYPE_NAME,
                data=exception.data,
                stack_trace=exception.stack_trace,
            )
        if isinstance(exception, DurableOperationError):
            return cls(
                message=exception.message,
                type=qualified_type_name(type(exception)),
                data=exception.data,
                stack_trace=exception.stack_trace,
            )
        return cls(message=str(exception), type=qualified_type_name(type(exception)))


def qualified_type_name(cls: type) -> str:
    """``ValueError`` for builtins, ``module.QualName`` otherwise (sdk-spec.md §9.3).

    Our own exception classes report the AWS SDK's module path so that error types recorded
    by handlers ported from the AWS SDK read the same in histories.
    """
    module = cls.__module__
    if module == "builtins":
        return cls.__qualname__
    if module == "durable_lambda.exceptions" or module.startswith("durable_lambda.exceptions"):
        module = "aws_durable_execution_sdk_python.exceptions"
    elif module == "durable_lambda.concurrency.models":
        module = "aws_durable_execution_sdk_python.concurrency.models"
    return f"{module}.{cls.__qualname__}"


# --------------------------------------------------------------------------------------------
# update options


@dataclass(frozen=True)
class StepOptions:
    """``StepOptions`` of a step RETRY update: how long until the next attempt."""

    next_attempt_delay_seconds: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Returns the wire form."""
        return {"NextAttemptDelaySeconds": self.next_attempt_delay_seconds}


@dataclass(frozen=True)
class WaitOptions:
    """``WaitOptions`` of a WAIT START update: how long the backend's timer runs."""

    wait_seconds: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Returns the wire form."""
        return {"WaitSeconds": self.wait_seconds}


@dataclass(frozen=True)
class CallbackOptions:
    """``CallbackOptions`` of a CALLBACK START update; 0 means no timeout."""

    timeout_seconds: int = 0
    heartbeat_timeout_seconds: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Returns the wire form."""
        return {
            "TimeoutSeconds": self.timeout_seconds,
            "HeartbeatTimeoutSeconds": self.heartbeat_timeout_seconds,
        }


@dataclass(frozen=True)
class ChainedInvokeOptions:
    """``ChainedInvokeOptions`` of a CHAINED_INVOKE START update: the function to invoke."""

    function_name: str
    tenant_id: str | None = None
    x_amzn_trace_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Returns the wire form, omitting the optional fields that are None."""
        return _drop_none(
            {
                "FunctionName": self.function_name,
                "TenantId": self.tenant_id,
                "XAmznTraceId": self.x_amzn_trace_id,
            }
        )


@dataclass(frozen=True)
class ContextOptions:
    """``ContextOptions`` of a CONTEXT SUCCEED update.

    ``replay_children`` marks a result too large to store: replay re-runs the body and its
    children instead of reading the result (sdk-spec.md §4.6).
    """

    replay_children: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Returns the wire form."""
        return {"ReplayChildren": self.replay_children}


@dataclass(frozen=True)
class OperationUpdate:
    """One element of ``CheckpointDurableExecution.Updates``."""

    operation_id: str
    operation_type: OperationType
    action: OperationAction
    parent_id: str | None = None
    name: str | None = None
    sub_type: str | None = None
    payload: str | None = None
    error: ErrorObject | None = None
    context_options: ContextOptions | None = None
    step_options: StepOptions | None = None
    wait_options: WaitOptions | None = None
    callback_options: CallbackOptions | None = None
    chained_invoke_options: ChainedInvokeOptions | None = None

    def to_dict(self) -> dict[str, Any]:
        """Returns the wire form, omitting empty optional keys (sdk-spec.md §10.5)."""
        d: dict[str, Any] = {
            "Id": self.operation_id,
            "Type": str(self.operation_type),
            "Action": str(self.action),
        }
        if self.parent_id:
            d["ParentId"] = self.parent_id
        if self.name:
            d["Name"] = self.name
        if self.sub_type:
            d["SubType"] = str(self.sub_type)
        if self.payload is not None:
            d["Payload"] = self.payload
        if self.error is not None:
            d["Error"] = self.error.to_dict()
        for key, opt in (
            ("ContextOptions", self.context_options),
            ("StepOptions", self.step_options),
            ("WaitOptions", self.wait_options),
            ("CallbackOptions", self.callback_options),
            ("ChainedInvokeOptions", self.chained_invoke_options),
        ):
            if opt is not None:
                d[key] = opt.to_dict()
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OperationUpdate:
        """Parses the wire form, the inverse of ``to_dict``."""

        def opt(key: str) -> Mapping[str, Any] | None:
            value = data.get(key)
            return value if isinstance(value, Mapping) else None

        step = opt("StepOptions")
        wait = opt("WaitOptions")
        cb = opt("CallbackOptions")
        ci = opt("ChainedInvokeOptions")
        ctx = opt("ContextOptions")
        err = opt("Error")
        return cls(
            operation_id=data["Id"],
            operation_type=OperationType(data["Type"]),
            action=OperationAction(data["Action"]),
            parent_id=data.get("ParentId"),
            name=data.get("Name"),
            sub_type=data.get("SubType"),
            payload=data.get("Payload"),
            error=ErrorObject.from_dict(err) if err is not None else None,
            context_options=ContextOptions(bool(ctx.get("ReplayChildren", False)))
            if ctx is not None
            else None,
            step_options=StepOptions(int(step.get("NextAttemptDelaySeconds", 0)))
            if step is not None
            else None,
            wait_options=WaitOptions(int(wait.get("WaitSeconds", 0))) if wait is not None else None,
            callback_options=CallbackOptions(
                int(cb.get("TimeoutSeconds", 0)), int(cb.get("HeartbeatTimeoutSeconds", 0))
            )
            if cb is not None
            else None,
            chained_invoke_options=ChainedInvokeOptions(
                ci["FunctionName"], ci.get("TenantId"), ci.get("XAmznTraceId")
            )
            if ci is not None
            else None,
        )


# --------------------------------------------------------------------------------------------
# operation state


@dataclass(frozen=True)
class ExecutionDetails:
    """``ExecutionDetails`` of the EXECUTION operation: the execution's input."""

    input_payload: str | None = None


@dataclass(frozen=True)
class ContextDetails:
    """``ContextDetails`` of a CONTEXT operation: its result or error."""

    replay_children: bool = False
    result: str | None = None
    error: ErrorObject | None = None


@dataclass(frozen=True)
class StepDetails:
    """``StepDetails`` of a STEP operation, also used by ``wait_for_condition``.

    ``attempt`` counts completed attempts, so the current one is ``attempt + 1``.
    """

    attempt: int = 0
    next_attempt_timestamp: datetime.datetime | None = None
    result: str | None = None
    error: ErrorObject | None = None


@dataclass(frozen=True)
class WaitDetails:
    """``WaitDetails`` of a WAIT operation: when the backend's timer fires."""

    scheduled_end_timestamp: datetime.datetime | None = None


@dataclass(frozen=True)
class CallbackDetails:
    """``CallbackDetails`` of a CALLBACK operation: its id and the external answer."""

    callback_id: str
    result: str | None = None
    error: ErrorObject | None = None


@dataclass(frozen=True)
class ChainedInvokeDetails:
    """``ChainedInvokeDetails`` of a CHAINED_INVOKE operation: the target's result or error."""

    result: str | None = None
    error: ErrorObject | None = None


def _err(d: Mapping[str, Any] | None) -> ErrorObject | None:
    if not d or not isinstance(d.get("Error"), Mapping):
        return None
    return ErrorObject.from_dict(d["Error"])


_OPERATION_TYPES = {t.value: t for t in OperationType}
_OPERATION_STATUSES = {s.value: s for s in OperationStatus}


@dataclass(frozen=True)
class Operation:
    """The backend's record of one operation, as returned in execution state."""

    operation_id: str
    operation_type: OperationType
    status: OperationStatus
    parent_id: str | None = None
    name: str | None = None
    sub_type: str | None = None
    start_timestamp: datetime.datetime | None = None
    end_timestamp: datetime.datetime | None = None
    execution_details: ExecutionDetails | None = None
    context_details: ContextDetails | None = None
    step_details: StepDetails | None = None
    wait_details: WaitDetails | None = None
    callback_details: CallbackDetails | None = None
    chained_invoke_details: ChainedInvokeDetails | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Operation:
        """Parses an operation from the event (epoch ms) or a boto3 response (datetimes)."""
        ed = data.get("ExecutionDetails")
        cd = data.get("ContextDetails")
        sd = data.get("StepDetails")
        wd = data.get("WaitDetails")
        cbd = data.get("CallbackDetails")
        cid = data.get("ChainedInvokeDetails")
        raw_type, raw_status = data["Type"], data["Status"]
        return cls(
            operation_id=data["Id"],
            operation_type=_OPERATION_TYPES.get(raw_type) or OperationType(raw_type),
            status=_OPERATION_STATUSES.get(raw_status) or OperationStatus(raw_status),
            parent_id=data.get("ParentId"),
            name=data.get("Name"),
            sub_type=data.get("SubType"),
            start_timestamp=_to_datetime(data.get("StartTimestamp")),
            end_timestamp=_to_datetime(data.get("EndTimestamp")),
            execution_details=ExecutionDetails(ed.get("InputPayload")) if ed is not None else None,
            context_details=ContextDetails(
                replay_children=bool(cd.get("ReplayChildren", False)),
                result=cd.get("Result"),
                error=_err(cd),
            )
            if cd is not None
            else None,
            step_details=StepDetails(
                attempt=int(sd.get("Attempt", 0) or 0),
                next_attempt_timestamp=_to_datetime(sd.get("NextAttemptTimestamp")),
                result=sd.get("Result"),
                error=_err(sd),
            )
            if sd is not None
            else None,
            wait_details=WaitDetails(_to_datetime(wd.get("ScheduledEndTimestamp")))
            if wd is not None
            else None,
            callback_details=CallbackDetails(
                callback_id=cbd.get("CallbackId", ""), result=cbd.get("Result"), error=_err(cbd)
            )
            if cbd is not None
            else None,
            chained_invoke_details=ChainedInvokeDetails(result=cid.get("Result"), error=_err(cid))
            if cid is not None
            else None,
        )

    def to_dict(self) -> dict[str, Any]:
        """Wire JSON with epoch-millisecond timestamps (the invocation-event form)."""
        d: dict[str, Any] = {
            "Id": self.operation_id,
            "Type": str(self.operation_type),
            "Status": str(self.status),
        }
        for key, value in (
            ("ParentId", self.parent_id),
            ("Name", self.name),
            ("SubType", self.sub_type),
            ("StartTimestamp", _to_epoch_ms(self.start_timestamp)),
            ("EndTimestamp", _to_epoch_ms(self.end_timestamp)),
        ):
            if value is not None:
                d[key] = value
        if self.execution_details is not None:
            d["ExecutionDetails"] = _drop_none(
                {"InputPayload": self.execution_details.input_payload}
            )
        if self.context_details is not None:
            c = self.context_details
            d["ContextDetails"] = _drop_none(
                {
                    "ReplayChildren": c.replay_children,
                    "Result": c.result,
                    "Error": c.error.to_dict() if c.error else None,
                }
            )
        if self.step_details is not None:
            s = self.step_details
            d["StepDetails"] = _drop_none(
                {
                    "Attempt": s.attempt,
                    "NextAttemptTimestamp": _to_epoch_ms(s.next_attempt_timestamp),
                    "Result": s.result,
                    "Error": s.error.to_dict() if s.error else None,
                }
            )
        if self.wait_details is not None:
            d["WaitDetails"] = _drop_none(
                {"ScheduledEndTimestamp": _to_epoch_ms(self.wait_details.scheduled_end_timestamp)}
            )
        if self.callback_details is not None:
            cb = self.callback_details
            d["CallbackDetails"] = _drop_none(
                {
                    "CallbackId": cb.callback_id,
                    "Result": cb.result,
                    "Error": cb.error.to_dict() if cb.error else None,
                }
            )
        if self.chained_invoke_details is not None:
            ci = self.chained_invoke_details
            d["ChainedInvokeDetails"] = _drop_none(
                {"Result": ci.result, "Error": ci.error.to_dict() if ci.error else None}
            )
        return d


@dataclass(frozen=True)
class CheckpointUpdatedExecutionState:
    """``NewExecutionState`` of a checkpoint response: operations the service changed.

    A ``next_marker`` means more pages are to be fetched with ``GetDurableExecutionState``.
    """

    operations: list[Operation] = field(default_factory=list)
    next_marker: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> CheckpointUpdatedExecutionState:
        """Parses the wire form; a missing one means nothing changed."""
        data = data or {}
        return cls(
            operations=[Operation.from_dict(o) for o in data.get("Operations") or []],
            next_marker=data.get("NextMarker") or None,
        )


@dataclass(frozen=True)
class CheckpointOutput:
    """The ``CheckpointDurableExecution`` response.

    ``checkpoint_token`` None means there is no next token: the execution completed or the token
    was revoked (sdk-spec.md §10.7).
    """

    checkpoint_token: str | None
    new_execution_state: CheckpointUpdatedExecutionState

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckpointOutput:
        """Parses the response; an empty token is read as no token."""
        return cls(
            checkpoint_token=data.get("CheckpointToken") or None,
            new_execution_state=CheckpointUpdatedExecutionState.from_dict(
                data.get("NewExecutionState")
            ),
        )


@dataclass(frozen=True)
class StateOutput:
    """``GetDurableExecutionState`` response page."""

    operations: list[Operation]
    next_marker: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StateOutput:
        """Parses the response page; an empty marker means it was the last page."""
        return cls(
            operations=[Operation.from_dict(o) for o in data.get("Operations") or []],
            next_marker=data.get("NextMarker") or None,
        )


@dataclass(frozen=True)
class DurableExecutionInvocationOutput:
    """What a durable handler returns to the backend (sdk-spec.md §10.2)."""

    status: InvocationStatus
    result: str | None = None
    error: ErrorObject | None = None

    def to_dict(self) -> dict[str, Any]:
        """Returns the handler's return value, omitting an absent result or error."""
        d: dict[str, Any] = {"Status": str(self.status)}
        if self.result is not None:
            d["Result"] = self.result
        if self.error is not None:
            d["Error"] = self.error.to_dict()
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DurableExecutionInvocationOutput:
        """Parses a handler's return value, as a backend reads it."""
        err = data.get("Error")
        return cls(
            status=InvocationStatus(data["Status"]),
            result=data.get("Result"),
            error=ErrorObject.from_dict(err) if isinstance(err, Mapping) else None,
        )


# --------------------------------------------------------------------------------------------
# service clients


@runtime_checkable
class DurableServiceClient(Protocol):
    """The two backend calls the SDK makes during an invocation."""

    def checkpoint(
        self,
        durable_execution_arn: str,
        checkpoint_token: str,
        updates: Sequence[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointOutput:
        """Sends ``updates`` with ``CheckpointDurableExecution`` and returns the next token."""
        ...

    def get_execution_state(
        self,
        durable_execution_arn: str,
        checkpoint_token: str,
        next_marker: str | None = None,
        max_items: int = 1000,
    ) -> StateOutput:
        """Fetches one page of the execution's operations with ``GetDurableExecutionState``."""
        ...


class LambdaClient:
    """``DurableServiceClient`` over boto3's ``lambda`` client; boto3 is imported only if used."""

    _cached: Any = None

    def __init__(self, client: Any) -> None:
        """Wraps ``client``, a boto3 ``lambda`` client pointed at the backend to use."""
        self.client = client

    @classmethod
    def initialize_client(cls) -> LambdaClient:
        """Returns a client over a boto3 client created once per process and then reused.

        Reuse keeps connections warm across invocations; the timeouts bound a hung call.
        """
        if cls._cached is None:
            import boto3  # optional dependency (the boto3 extra)
            from botocore.config import Config

            cls._cached = boto3.client(
                "lambda",
                config=Config(
                    connect_timeout=5,
                    read_timeout=50,
                    user_agent_extra="durable-lambda-sdk",
                ),
            )
        return cls(cls._cached)

    def checkpoint(
        self,
        durable_execution_arn: str,
        checkpoint_token: str,
        updates: Sequence[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointOutput:
        """Calls ``CheckpointDurableExecution``; a failure becomes a classified error."""
        from durable_lambda.exceptions import CheckpointError

        kwargs: dict[str, Any] = {
            "DurableExecutionArn": durable_execution_arn,
            "CheckpointToken": checkpoint_token,
            "Updates": [u.to_dict() for u in updates],
        }
        if client_token is not None:
            kwargs["ClientToken"] = client_token
        try:
            response = self.client.checkpoint_durable_execution(**kwargs)
        except Exception as err:
            raise CheckpointError.from_exception(err) from err
        return CheckpointOutput.from_dict(response)

    def get_execution_state(
        self,
        durable_execution_arn: str,
        checkpoint_token: str,
        next_marker: str | None = None,
        max_items: int = 1000,
    ) -> StateOutput:
        """Calls ``GetDurableExecutionState`` for one page; failures become classified errors."""
        from durable_lambda.exceptions import GetExecutionStateError

        kwargs: dict[str, Any] = {
            "DurableExecutionArn": durable_execution_arn,
            "CheckpointToken": checkpoint_token,
            "MaxItems": max_items,
        }
        if next_marker:
            kwargs["Marker"] = next_marker
        try:
            response = self.client.get_durable_execution_state(**kwargs)
        except Exception as err:
            raise GetExecutionStateError.from_exception(err) from err
        return StateOutput.from_dict(response)
