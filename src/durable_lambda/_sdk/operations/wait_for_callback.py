"""``context.wait_for_callback`` (sdk-spec.md §4.4).

Owns the composition: one CONTEXT with SubType ``WaitForCallback`` containing a callback named
``"<name> create callback id"`` and a submitter step named ``"<name> submitter"`` (bare
``"create callback id"`` / ``"submitter"`` when unnamed, conformance 7-3), then the callback
result. Also owns the translation of the wrapper's ``ChildContextError`` back into the callback
error the caller expects: a ``CallbackError`` cause is raised as is, a failed submitter becomes
``CallbackSubmitterError``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from durable_lambda.config import StepConfig, WaitForCallbackConfig
from durable_lambda.exceptions import (
    CallbackError,
    CallbackSubmitterError,
    ChildContextError,
    StepError,
)
from durable_lambda.lambda_service import OperationSubType
from durable_lambda.types import StepContext, WaitForCallbackContext

if TYPE_CHECKING:
    from durable_lambda.context import DurableContext

__all__ = ["run_wait_for_callback"]


def run_wait_for_callback(
    context: DurableContext,
    submitter: Callable[[str, WaitForCallbackContext], Any],
    name: str | None,
    config: WaitForCallbackConfig,
) -> Any:
    def body(child: DurableContext) -> Any:
        callback = child.create_callback(
            name=f"{name} create callback id" if name else "create callback id", config=config
        )

        def submit(step_context: StepContext) -> Any:
            return submitter(
                callback.callback_id, WaitForCallbackContext(logger=step_context.logger)
            )

        child.step(
            submit,
            name=f"{name} submitter" if name else "submitter",
            config=StepConfig(retry_strategy=config.retry_strategy, serdes=config.serdes),
        )
        return callback.result()

    try:
        return context._run_child(
            body,
            name,
            sub_type=str(OperationSubType.WAIT_FOR_CALLBACK),
            serdes=config.serdes,
        )
    except ChildContextError as err:
        cause = err.__cause__
        if isinstance(cause, CallbackError):
            raise cause from None
        if isinstance(cause, StepError):
            raise CallbackSubmitterError(
                err.message, data=err.data, stack_trace=err.stack_trace
            ) from cause
        raise
