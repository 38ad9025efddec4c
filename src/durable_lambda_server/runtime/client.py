"""In-process ``DurableServiceClient``: the SDK's two backend calls, served by the engine.

Over a worker's pipe the bodies are the same JSON the HTTP API carries; in the engine's own
process a checkpoint hands over the typed updates, which the engine checks by the same rules
(``wire.parse.check_checkpoint``). Engine errors become the SDK's
``CheckpointError`` / ``GetExecutionStateError`` classified like boto3 client errors
(sdk-spec.md §9.4), so the SDK reacts to a rejected checkpoint as it would over HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from durable_lambda.exceptions import BotoClientError, CheckpointError, GetExecutionStateError
from durable_lambda.lambda_service import CheckpointOutput, OperationUpdate, StateOutput

__all__ = ["EngineServiceClient", "api_error_to_client_error"]


def api_error_to_client_error(err: Exception, cls: type[BotoClientError]) -> BotoClientError:
    """Shapes a service error like botocore's ClientError response for classification."""
    status = int(getattr(err, "status", 500))
    code = getattr(err, "error_type", None) or type(err).__name__
    message = getattr(err, "message", None) or str(err)
    fake = _FakeClientError(
        f"An error occurred ({code}) when calling the durable API: {message}",
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
    )
    return cls.from_exception(fake)


class _FakeClientError(Exception):
    def __init__(self, message: str, response: dict[str, Any]) -> None:
        super().__init__(message)
        self.response = response


class EngineServiceClient:
    """Calls ``checkpoint`` / ``get_execution_state`` on an object with the engine's API.

    ``call`` lets the worker-process client reuse this class over a pipe: it receives the engine
    method name and arguments and returns the engine's JSON answer.
    """

    def __init__(self, call: Callable[..., dict[str, Any]], *, typed: bool = False) -> None:
        """Wrap ``call``; ``typed`` hands checkpoints over as ``OperationUpdate`` objects.

        Without ``typed`` they travel as the JSON body the HTTP API carries (the pipe's form).
        """
        self._call = call
        self._typed = typed

    @classmethod
    def for_engine(cls, engine: Any) -> EngineServiceClient:
        """A client for the engine's own process, calling ``engine`` directly.

        Checkpoints hand over the ``OperationUpdate`` objects themselves
        (``Engine.checkpoint_updates`` checks them by the wire body's rules).
        """

        def call(method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
            result: dict[str, Any] = getattr(engine, method)(*args, **kwargs)
            return result

        return cls(call, typed=True)

    def checkpoint(
        self,
        durable_execution_arn: str,
        checkpoint_token: str,
        updates: Sequence[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointOutput:
        """The SDK's CheckpointDurableExecution, answered by the engine.

        Engine errors are raised as ``CheckpointError`` classified like a boto3 client error.
        """
        try:
            if self._typed:
                response = self._call(
                    "checkpoint_updates",
                    durable_execution_arn,
                    checkpoint_token,
                    list(updates),
                    client_token,
                )
            else:
                body: dict[str, Any] = {
                    "CheckpointToken": checkpoint_token,
                    "Updates": [u.to_dict() for u in updates],
                }
                if client_token is not None:
                    body["ClientToken"] = client_token
                response = self._call("checkpoint", durable_execution_arn, body)
        except Exception as err:
            raise api_error_to_client_error(err, CheckpointError) from err
        return CheckpointOutput.from_dict(response)

    def get_execution_state(
        self,
        durable_execution_arn: str,
        checkpoint_token: str,
        next_marker: str | None = None,
        max_items: int = 1000,
    ) -> StateOutput:
        """The SDK's GetDurableExecutionState (one page of operations), answered by the engine.

        Engine errors are raised as ``GetExecutionStateError`` classified like a boto3 client error.
        """
        try:
            response = self._call(
                "get_execution_state",
                durable_execution_arn,
                checkpoint_token,
                marker=next_marker,
                max_items=max_items,
            )
        except Exception as err:
            raise api_error_to_client_error(err, GetExecutionStateError) from err
        return StateOutput.from_dict(response)
