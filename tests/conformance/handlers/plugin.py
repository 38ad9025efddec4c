"""Conformance handlers for the ``plugin`` suite (requirements 10-1 … 10-7).

The requirements' plugins print JSON objects such as
``{"plugin": "CONFPLUGIN", "hook": "invocation-start", "first": true, "durableExecutionArn": …}``
to stdout, for CloudWatch to index. Our runtime captures execution-correlated *log records*
instead, writing each one as a top-level JSON object (``durableExecutionArn`` plus the record's
extras), so :func:`emit` logs the same fields as ``extra`` on a record carrying ``executionArn``.
The ARN is the one the invocation-start info hands to the plugin factory.

The plugin info objects are read defensively (:func:`_info_field`), because only their documented
field names are relied on: ``execution_arn``, ``is_first_invocation``, ``status``,
``operation_id``, ``operation_type``, ``attempt`` and ``outcome``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from durable_lambda import DurableContext, durable_execution, durable_step
from durable_lambda.config import Duration, JitterStrategy, StepConfig
from durable_lambda.plugin import DurableInstrumentationPlugin, DurableInstrumentationPluginFactory
from durable_lambda.retries import RetryPresets, RetryStrategyConfig, create_retry_strategy
from durable_lambda.types import StepContext

_plugin_logger = logging.getLogger("durable_lambda.conformance.plugin")


def _info_field(info: Any, name: str) -> Any:
    """``info.<name>``, also looked up on a nested ``operation`` info object."""
    if hasattr(info, name):
        return getattr(info, name)
    nested = getattr(info, "operation", None) or getattr(info, "operation_info", None)
    return getattr(nested, name, None)


def _label(value: Any) -> Any:
    """Enum member -> its name; other values unchanged."""
    return getattr(value, "name", value)


def _is_step(info: Any) -> bool:
    return str(_label(_info_field(info, "operation_type"))).upper() == "STEP"


def emit(execution_arn: str, plugin: str, hook: str, **fields: Any) -> None:
    """One execution-correlated JSON record ``{"plugin", "hook", **fields}``."""
    extra = {"executionArn": execution_arn, "plugin": plugin, "hook": hook, **fields}
    _plugin_logger.info(f"{plugin} {hook}", extra=extra)


class RecordingPlugin(DurableInstrumentationPlugin):
    """Logs the invocation, operation and attempt hooks the plugin requirements assert."""

    def __init__(self, label: str, execution_arn: str, *, faulty: bool = False) -> None:
        self.label = label
        self.arn = execution_arn
        self.faulty = faulty

    def _emit(self, hook: str, **fields: Any) -> None:
        emit(self.arn, self.label, hook, **fields)
        if self.faulty:
            raise RuntimeError(f"{self.label} {hook} hook failed on purpose")

    def on_invocation_start(self, info: Any) -> None:
        self._emit("invocation-start", first=bool(_info_field(info, "is_first_invocation")))

    def on_invocation_end(self, info: Any) -> None:
        self._emit("invocation-end", status=_label(_info_field(info, "status")))

    def on_operation_start(self, info: Any) -> None:
        if _is_step(info):
            self._emit("operation-start", op=_info_field(info, "operation_id"))

    def on_operation_end(self, info: Any) -> None:
        if _is_step(info):
            self._emit(
                "operation-end",
                op=_info_field(info, "operation_id"),
                status=_label(_info_field(info, "status")),
            )

    def on_user_function_start(self, info: Any) -> None:
        if _is_step(info):
            attempt = _info_field(info, "attempt")
            self._emit("attempt-start", n=attempt, op=_info_field(info, "operation_id"))

    def on_user_function_end(self, info: Any) -> None:
        if _is_step(info):
            self._emit(
                "attempt-end",
                n=_info_field(info, "attempt"),
                outcome=_label(_info_field(info, "outcome")),
                op=_info_field(info, "operation_id"),
            )


class RecordingPluginFactory(DurableInstrumentationPluginFactory):
    """Creates one :class:`RecordingPlugin` per invocation, bound to the execution's ARN."""

    def __init__(self, label: str = "CONFPLUGIN", *, faulty: bool = False) -> None:
        self.label = label
        self.faulty = faulty

    def create_plugin(self, info: Any, /) -> DurableInstrumentationPlugin:
        arn = str(_info_field(info, "execution_arn"))
        return RecordingPlugin(self.label, arn, faulty=self.faulty)


@durable_step
def greet(step_context: StepContext, name: Any) -> str:
    step_context.logger.info(f"Greeting step running for: {name}")
    return f"Hello, {name}!"


def _greeting_handler(*factories: Any) -> Callable[[Any, Any], Any]:
    @durable_execution(plugins=list(factories))
    def handler(event: Any, context: DurableContext) -> str:
        return context.step(greet(event))

    return handler


handler_10_1 = _greeting_handler(RecordingPluginFactory())
handler_10_2 = _greeting_handler(RecordingPluginFactory())
handler_10_4 = _greeting_handler(RecordingPluginFactory("CONFPLUGIN-FAULTY", faulty=True))
handler_10_5 = _greeting_handler(
    RecordingPluginFactory("CONFPLUGIN-A"), RecordingPluginFactory("CONFPLUGIN-B")
)


@durable_execution(plugins=[RecordingPluginFactory()])
def handler_10_3(event: Any, context: DurableContext) -> str:
    def unreliable(step_context: StepContext) -> str:
        if step_context.attempt == 1:
            raise RuntimeError("fails on attempt 1")
        return "Operation succeeded"

    strategy = create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=3,
            initial_delay=Duration.from_seconds(1),
            backoff_rate=1.0,
            jitter_strategy=JitterStrategy.NONE,
        )
    )
    return context.step(unreliable, name="unreliable", config=StepConfig(retry_strategy=strategy))


@durable_execution(plugins=[RecordingPluginFactory()])
def handler_10_6(event: Any, context: DurableContext) -> str:
    context.wait(Duration.from_seconds(2))
    return "waited"


@durable_execution(plugins=[RecordingPluginFactory()])
def handler_10_7(event: Any, context: DurableContext) -> None:
    def failing(_: StepContext) -> None:
        raise ValueError("this step always fails")

    context.step(failing, name="failing", config=StepConfig(retry_strategy=RetryPresets.none()))
