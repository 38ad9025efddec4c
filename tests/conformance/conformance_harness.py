"""Support code for the conformance tests: drives the AWS conformance validator against our runtime.

The package ``aws-durable-execution-conformance-tests`` validates one requirement with
``validate.validate_description(function_name, description_id, test_file, invoker, tmp_dir,
region, aws_clients, output_dir)``. It only needs (conformance.md §5.2):

* ``aws_clients["lambda"]``: the Lambda API calls of §2.9. :class:`LocalLambdaClient` answers them
  in process from a :class:`durable_lambda_server.runtime.Runtime`, shaped like boto3's parsed
  responses (aware ``datetime`` timestamps, ``None`` members dropped, ``Payload`` a file-like
  object, engine errors raised as botocore ``ClientError``).
* an invoker: the package's own ``sam.Invoker`` with its logical-id -> function-name map
  pre-filled, so the request payload is built exactly as the CLI builds it (``json.dumps(Input)``).
* for ``ExpectedLogs``: :func:`validate_expected_logs_locally` replaces the CloudWatch retrieval
  (``validate._validate_expected_logs``) by the runtime's captured JSON-lines logs and runs the
  package's ``CloudWatchLogValidator`` on them.

Which handler serves which requirement is read from ``template.yaml`` (single source of truth);
known gaps are read from ``expected_failures.txt``.
"""

from __future__ import annotations

import datetime as dt
import inspect
import io
import json
import logging
import os
import threading
import traceback
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from aws_durable_execution_conformance_tests import config as conformance_config
from aws_durable_execution_conformance_tests import extensions, sam, validate
from aws_durable_execution_conformance_tests.cloudwatch import CloudWatchLogValidator
from aws_durable_execution_conformance_tests.variables import PlaceholderContext
from botocore.exceptions import ClientError

__all__ = [
    "ConformanceRun",
    "FunctionSpec",
    "LocalLambdaClient",
    "LocalLogReader",
    "Outcome",
    "Requirement",
    "discover_requirements",
    "load_expected_failures",
    "load_template",
    "validate_expected_logs_locally",
]

HERE = Path(__file__).resolve().parent
TEMPLATE_PATH = HERE / "template.yaml"
EXPECTED_FAILURES_PATH = HERE / "expected_failures.txt"
STATE_DIR_ENV = "DURABLE_LAMBDA_CONFORMANCE_STATE_DIR"  # mirrors handlers/conformance_support.py
REGION = conformance_config.DEFAULT_REGION
STACK_NAME = "durable-lambda-local"
INVOKE_TIMEOUT_SECONDS = 90.0
_SEPARATOR = " \u2014 "  # "<id> — <reason>"

_log = logging.getLogger("durable_lambda.conformance.harness")


# ----------------------------------------------------------------------------------------------
# requirements, template, expected failures


@dataclass(frozen=True)
class Requirement:
    """One requirement YAML shipped with the conformance package."""

    id: str
    suite: str
    path: Path


def _id_key(requirement_id: str) -> tuple[int, ...]:
    return tuple(int(part) for part in requirement_id.split("-"))


def discover_requirements() -> list[Requirement]:
    """All requirements, discovered the way the package's CLI does (§5.2), in numeric order."""
    registry = extensions.load_extensions(conformance_config.TESTS_DIR)
    cases = registry.discover_requirements(["all"])
    found = [Requirement(rid, case.suite.name, Path(case.path)) for rid, case in cases.items()]
    return sorted(found, key=lambda req: _id_key(req.id))


@dataclass(frozen=True)
class FunctionSpec:
    """One ``AWS::Serverless::Function`` of the template, as the runtime registers it."""

    name: str  # logical id, also used as the runtime's function name
    handler: str  # "<abs path>.py:<function>"
    invoker: str  # "thread" | "process"
    timeout_seconds: int
    requirement_ids: tuple[str, ...]


def load_template(path: Path = TEMPLATE_PATH) -> tuple[dict[str, FunctionSpec], dict[str, str]]:
    """Returns (functions by name, requirement id -> function name).

    The (function, requirement) pairs come from the package's own
    ``validate.parse_function_descriptions``; handler spec and invoker from the resource.
    """
    document = yaml.safe_load(path.read_text())
    defaults = (document.get("Globals") or {}).get("Function") or {}
    pairs = validate.parse_function_descriptions(str(path))
    covered: dict[str, str] = {}
    for function_name, requirement_id in pairs:
        if requirement_id in covered:
            raise ValueError(f"{path.name}: {requirement_id} is listed by two functions")
        covered[requirement_id] = function_name
    functions: dict[str, FunctionSpec] = {}
    for name, resource in (document.get("Resources") or {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = {**defaults, **(resource.get("Properties") or {})}
        metadata = resource.get("TestingMetadata") or {}
        module, _, function = str(properties["Handler"]).rpartition(".")
        code_dir = (path.parent / str(properties.get("CodeUri", "."))).resolve()
        handler_file = code_dir / f"{module.replace('.', '/')}.py"
        functions[name] = FunctionSpec(
            name=name,
            handler=f"{handler_file}:{function}",
            invoker=str(metadata.get("Invoker", "thread")),
            timeout_seconds=int(properties.get("Timeout", 60)),
            requirement_ids=tuple(str(rid) for rid in metadata.get("TestDescription", [])),
        )
    return functions, covered


def load_expected_failures(path: Path = EXPECTED_FAILURES_PATH) -> dict[str, str]:
    """``<id> — <reason>`` per line; blank lines and ``#`` comments are ignored."""
    failures: dict[str, str] = {}
    if not path.exists():
        return failures
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        requirement_id, sep, reason = line.partition(_SEPARATOR)
        if not sep or not reason.strip():
            raise ValueError(f"{path.name}:{number}: expected '<id>{_SEPARATOR}<reason>'")
        if requirement_id.strip() in failures:
            raise ValueError(f"{path.name}:{number}: {requirement_id} listed twice")
        failures[requirement_id.strip()] = reason.strip()
    return failures


# ----------------------------------------------------------------------------------------------
# the Lambda API over the runtime


def _boto_shape(value: Any, key: str = "") -> Any:
    """What boto3 would hand back: ``None`` members dropped, ``*Timestamp`` ms -> datetimes."""
    if isinstance(value, Mapping):
        return {k: _boto_shape(v, k) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_boto_shape(item) for item in value if item is not None]
    if key.endswith("Timestamp") and isinstance(value, int | float) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value / 1000.0, tz=dt.UTC)
    return value


def _metadata(status: int = 200) -> dict[str, Any]:
    return {"HTTPStatusCode": status, "HTTPHeaders": {}, "RetryAttempts": 0}


def _as_client_error(err: Exception, operation: str) -> ClientError | None:
    """Engine API errors (``durable_lambda_server.wire``) become the ``ClientError`` boto3 would
    raise."""
    is_api_error = type(err).__module__.startswith("durable_lambda_server.wire") or hasattr(
        err, "status"
    )
    if not is_api_error:
        return None
    code = getattr(err, "error_type", None) or getattr(err, "code", None) or type(err).__name__
    message = getattr(err, "message", None) or str(err)
    status = int(getattr(err, "status", 400) or 400)
    response = {
        "Error": {"Code": str(code), "Message": str(message)},
        "ResponseMetadata": _metadata(status),
    }
    return ClientError(response, operation)  # type: ignore[arg-type]


class LocalLambdaClient:
    """The boto3 ``lambda`` client methods the validator calls, answered by a ``Runtime``."""

    def __init__(self, runtime: Any, invoke_timeout: float = INVOKE_TIMEOUT_SECONDS) -> None:
        self._rt = runtime
        self._invoke_timeout = invoke_timeout
        self._invoke_accepts_timeout = "timeout" in inspect.signature(runtime.invoke).parameters
        self._lock = threading.Lock()
        self.arns_by_function: dict[str, list[str]] = {}

    def _api(self, operation: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except Exception as err:
            client_error = _as_client_error(err, operation)
            if client_error is None:
                raise
            raise client_error from err

    def invoke(
        self,
        *,
        FunctionName: str,
        InvocationType: str = "RequestResponse",
        Payload: bytes | str = b"",
        Qualifier: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        payload = Payload.encode() if isinstance(Payload, str) else bytes(Payload)
        kwargs: dict[str, Any] = {"invocation_type": InvocationType}
        if self._invoke_accepts_timeout:
            kwargs["timeout"] = self._invoke_timeout
        result = self._api("Invoke", lambda: self._rt.invoke(FunctionName, payload, **kwargs))
        with self._lock:
            self.arns_by_function.setdefault(FunctionName, []).append(result.arn)
        response: dict[str, Any] = {
            "ResponseMetadata": _metadata(result.status_code),
            "StatusCode": result.status_code,
            "ExecutedVersion": "$LATEST",
            "DurableExecutionArn": result.arn,
            "Payload": io.BytesIO(result.payload or b""),
        }
        if result.function_error:
            response["FunctionError"] = result.function_error
        return response

    def get_durable_execution_history(
        self, *, DurableExecutionArn: str, IncludeExecutionData: bool = False, **_: Any
    ) -> dict[str, Any]:
        events: list[dict[str, Any]] = []
        marker: str | None = None
        while True:
            page = self._api(
                "GetDurableExecutionHistory",
                lambda m=marker: self._rt.engine.get_history(
                    DurableExecutionArn, include_execution_data=IncludeExecutionData, marker=m
                ),
            )
            events.extend(page.get("Events") or [])
            marker = page.get("NextMarker")
            if not marker:
                break
        return {"ResponseMetadata": _metadata(), "Events": _boto_shape(events)}

    def get_durable_execution(self, *, DurableExecutionArn: str, **_: Any) -> dict[str, Any]:
        execution = self._api(
            "GetDurableExecution", lambda: self._rt.engine.get_execution(DurableExecutionArn)
        )
        return {"ResponseMetadata": _metadata(), **_boto_shape(execution)}

    def send_durable_execution_callback_success(
        self, *, CallbackId: str, Result: bytes | None = None, **_: Any
    ) -> dict[str, Any]:
        self._api(
            "SendDurableExecutionCallbackSuccess",
            lambda: self._rt.engine.send_callback_success(CallbackId, Result),
        )
        return {"ResponseMetadata": _metadata()}

    def send_durable_execution_callback_failure(
        self, *, CallbackId: str, Error: dict[str, Any] | None = None, **_: Any
    ) -> dict[str, Any]:
        self._api(
            "SendDurableExecutionCallbackFailure",
            lambda: self._rt.engine.send_callback_failure(CallbackId, Error),
        )
        return {"ResponseMetadata": _metadata()}

    def send_durable_execution_callback_heartbeat(
        self, *, CallbackId: str, **_: Any
    ) -> dict[str, Any]:
        self._api(
            "SendDurableExecutionCallbackHeartbeat",
            lambda: self._rt.engine.send_callback_heartbeat(CallbackId),
        )
        return {"ResponseMetadata": _metadata()}


# ----------------------------------------------------------------------------------------------
# ExpectedLogs from the runtime's captured logs


class LocalLogReader:
    """Stands in for CloudWatch Logs: the runtime's per-function JSONL capture (§2.7)."""

    def __init__(self, runtime: Any) -> None:
        self._rt = runtime

    def execution_log_events(
        self, function_name: str, execution_arn: str, start_time_ms: int
    ) -> list[dict[str, Any]]:
        """``filter_log_events``-shaped events of one execution, like the JSON filter selects."""
        path = Path(self._rt.log_path(function_name))
        if not path.exists():
            return []
        events: list[dict[str, Any]] = []
        for line in path.read_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if not isinstance(record, dict):
                continue
            arns = (record.get("durableExecutionArn"), record.get("executionArn"))
            if execution_arn not in arns:
                continue
            timestamp = int(record.get("timestamp") or 0)
            if timestamp < start_time_ms:
                continue
            events.append({"message": line, "timestamp": timestamp, "ingestionTime": timestamp})
        return events


def validate_expected_logs_locally(  # noqa: PLR0917  (a drop-in: AWS's signature)
    description_data: dict[str, Any],
    stack_name: str,
    function_name: str,
    execution_arn: str,
    start_time_ms: int,
    aws_clients: Mapping[str, Any],
    context: PlaceholderContext | None = None,
) -> list[str]:
    """Drop-in for ``validate._validate_expected_logs`` reading ``aws_clients["logs"]`` locally."""
    expected_logs = description_data.get("ExpectedLogs")
    if not expected_logs:
        return []
    reader: LocalLogReader = aws_clients["logs"]
    events = reader.execution_log_events(function_name, execution_arn, start_time_ms)
    result = CloudWatchLogValidator().validate(expected_logs, events, context=context)
    return list(result.errors)


def _quiet_print(*args: Any, **_: Any) -> None:
    _log.debug(" ".join(str(arg) for arg in args))


def install_package_patches() -> None:
    """Local log retrieval instead of CloudWatch; the validator's progress prints go to logging."""
    validate._validate_expected_logs = validate_expected_logs_locally  # type: ignore[assignment]
    validate.print = _quiet_print  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------------------------
# running requirements


@dataclass
class Outcome:
    """What one requirement's validation produced."""

    requirement_id: str
    passed: bool
    errors: list[str] = field(default_factory=list)
    detail: str = ""

    def report(self) -> str:
        lines = [f"requirement {self.requirement_id} failed:"]
        lines += [f"  - {error}" for error in self.errors]
        if self.detail:
            lines += ["", self.detail]
        return "\n".join(lines)


def _shorten(value: Any, limit: int = 160) -> Any:
    """Long strings (large payloads) cut down for failure messages."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]}...<{len(value)} chars>"
    if isinstance(value, Mapping):
        return {k: _shorten(v, limit) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorten(v, limit) for v in value]
    return value


def render_history(events: list[dict[str, Any]]) -> str:
    """One line per event: id, type, subtype, name, ids and details (timestamps omitted)."""
    lines = []
    for event in sorted(events, key=lambda e: e.get("EventId", 0)):
        details = {k: _shorten(v) for k, v in event.items() if k.endswith("Details")}
        ident = " ".join(
            f"{k}={event[k]}" for k in ("SubType", "Name", "Id", "ParentId") if k in event
        )
        lines.append(
            f"  {event.get('EventId')}: {event.get('EventType')} {ident} "
            f"{json.dumps(details, default=str)}"
        )
    return "\n".join(lines)


RESULT_TIMEOUT_SECONDS = 110.0  # below the project's 120 s pytest timeout
QUIET_TIMEOUT_SECONDS = 400.0  # delay-paced requirements wait for all the others first


def result_timeout(requirement: Requirement) -> float:
    return QUIET_TIMEOUT_SECONDS if is_delay_paced(requirement) else RESULT_TIMEOUT_SECONDS


def timing_marks(requirement: Requirement) -> list[Any]:
    """pytest marks for a requirement's test: a longer timeout when it runs in the quiet phase."""
    return [pytest.mark.timeout(QUIET_TIMEOUT_SECONDS + 20)] if is_delay_paced(requirement) else []


def is_delay_paced(requirement: Requirement) -> bool:
    """True when two or more CallbackActions are sent one after another with delays between."""
    data = yaml.safe_load(requirement.path.read_text())
    actions = data.get("CallbackActions") or []
    return len(actions) >= 2 and any(float(a.get("Delay") or 0) > 0 for a in actions[1:])


class ConformanceRun:
    """Validates requirements against one runtime, optionally many at a time on a thread pool."""

    def __init__(
        self,
        runtime: Any,
        requirements: Mapping[str, Requirement],
        covered: Mapping[str, str],
        work_dir: Path,
        *,
        max_workers: int = 1,
        lambda_client: Any = None,
    ) -> None:
        self.runtime = runtime
        self.requirements = dict(requirements)
        self.covered = dict(covered)
        self.work_dir = work_dir
        # In process by default; the server variant passes a real boto3 client (server_harness).
        self.lambda_client = lambda_client or LocalLambdaClient(runtime)
        self.aws_clients = {"lambda": self.lambda_client, "logs": LocalLogReader(runtime)}
        self.invoker = sam.Invoker(
            stack_name=STACK_NAME, region=REGION, lambda_client=self.lambda_client
        )
        self.invoker._function_map = {name: name for name in set(covered.values())}
        (work_dir / "events").mkdir(parents=True, exist_ok=True)
        (work_dir / "histories").mkdir(parents=True, exist_ok=True)
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="conformance")
        # Requirements whose callback actions are paced by delays (callback B N seconds after A)
        # assume the invocation in between finishes within those seconds. Run concurrently with
        # 150 others on 2 cores it may not; they run after the rest, together (a handful).
        self._quiet = (
            {rid for rid, req in self.requirements.items() if is_delay_paced(req)}
            if max_workers > 1
            else set()
        )
        self._quiet_pool = ThreadPoolExecutor(
            max_workers=max(1, len(self._quiet)), thread_name_prefix="conformance-quiet"
        )
        self._futures: dict[str, Future[Outcome]] = {}
        self._lock = threading.Lock()
        self._sealed = threading.Event()

    def submit(self, requirement_id: str) -> Future[Outcome]:
        with self._lock:
            future = self._futures.get(requirement_id)
            if future is None:
                if requirement_id in self._quiet:
                    future = self._quiet_pool.submit(self._run_quietly, requirement_id)
                else:
                    future = self._pool.submit(self._run, requirement_id)
                self._futures[requirement_id] = future
            return future

    def seal(self) -> None:
        """Everything to run has been submitted: the quiet phase may start once the rest is done."""
        self._sealed.set()

    def _run_quietly(self, requirement_id: str) -> Outcome:
        self._sealed.wait(timeout=120)  # without seal(), start anyway after a while
        with self._lock:
            others = [f for rid, f in self._futures.items() if rid not in self._quiet]
        wait(others)
        return self._run(requirement_id)

    def result(self, requirement_id: str, timeout: float | None = None) -> Outcome:
        return self.submit(requirement_id).result(timeout=timeout)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._quiet_pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, requirement_id: str) -> Outcome:
        function_name = self.covered.get(requirement_id)
        if function_name is None:
            return Outcome(
                requirement_id, False, ["UNCOVERED: no function lists it in template.yaml"]
            )
        requirement = self.requirements[requirement_id]
        try:
            result = validate.validate_description(
                function_name=function_name,
                description_id=requirement_id,
                test_file=str(requirement.path),
                invoker=self.invoker,
                tmp_dir=str(self.work_dir / "events"),
                region=REGION,
                aws_clients=self.aws_clients,  # type: ignore[arg-type]
                output_dir=str(self.work_dir / "histories"),
            )
        except Exception:
            detail = self._detail(function_name, traceback.format_exc())
            return Outcome(requirement_id, False, ["validator raised"], detail)
        if result.passed:
            return Outcome(requirement_id, True)
        return Outcome(requirement_id, False, list(result.errors), self._detail(function_name))

    def _detail(self, function_name: str, prefix: str = "") -> str:
        parts = [prefix] if prefix else []
        for arn in self.lambda_client.arns_by_function.get(function_name, []):
            try:
                history = self.lambda_client.get_durable_execution_history(
                    DurableExecutionArn=arn, IncludeExecutionData=True
                )
                execution = self.lambda_client.get_durable_execution(DurableExecutionArn=arn)
            except Exception as err:
                parts.append(f"execution {arn}: history unavailable ({err!r})")
                continue
            keys = ("Status", "Result", "Error")
            summary = {k: _shorten(execution[k]) for k in keys if k in execution}
            parts.append(f"execution {arn} {json.dumps(summary, default=str)}")
            parts.append(render_history(history["Events"]))
        parts.append(f"(histories saved under {self.work_dir / 'histories'})")
        return "\n".join(parts)


def open_runtime(work_dir: Path, functions: Mapping[str, FunctionSpec]) -> Any:
    """A started runtime (fresh SQLite file under ``work_dir``) with every template function."""
    from durable_lambda_server.runtime import Runtime

    state_dir = work_dir / "state"
    state_dir.mkdir(parents=True, exist_ok=True)
    os.environ[STATE_DIR_ENV] = str(state_dir)
    runtime = Runtime.open(work_dir / "conformance.sqlite", invoker="thread")
    for spec in functions.values():
        runtime.register_function(
            spec.name,
            spec.handler,
            timeout_seconds=spec.timeout_seconds,
            environment={STATE_DIR_ENV: str(state_dir)},
            invoker=spec.invoker,
        )
    runtime.start()
    return runtime
