"""Lambda API errors: one class per Lambda error code, named as the code (lambda-api.md §1.4).

The class name is the ``x-amzn-ErrorType``; the HTTP status, fault and message key are class
data. Engine and API code raise these; the one renderer turns them into responses. Messages that
clients match on are module constants.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

__all__ = [
    "INVALID_CHECKPOINT_TOKEN",
    "CallbackTimeoutException",
    "DurableExecutionAlreadyStartedException",
    "InvalidParameterValueException",
    "InvalidRequestContentException",
    "LambdaApiError",
    "PreconditionFailedException",
    "RequestTooLargeException",
    "ResourceConflictException",
    "ResourceNotFoundException",
    "ServiceException",
    "TooManyRequestsException",
]

# The SDK retries a 400 only when the message starts with this (sdk-spec.md §9.4).
INVALID_CHECKPOINT_TOKEN = "Invalid checkpoint token"


class LambdaApiError(Exception):
    """A Lambda API error response; subclasses are the error codes, their data the wire form.

    ``extra`` holds the code's additional body members (e.g. ``Reason`` of a throttle).
    """

    status: ClassVar[int] = 500
    fault: ClassVar[Literal["User", "Service"]] = "Service"
    message_key: ClassVar[Literal["message", "Message"]] = "Message"

    def __init__(self, message: str, **extra: Any) -> None:
        """Keeps the message and the extra body members for the renderer."""
        super().__init__(message)
        self.message = message
        self.extra = extra

    @property
    def error_type(self) -> str:
        """The ``x-amzn-ErrorType`` and body ``__type``: the class name."""
        return type(self).__name__

    def to_body(self) -> dict[str, Any]:
        """The JSON response body, with the message under this code's message key."""
        return {
            "__type": self.error_type,
            "Type": self.fault,
            self.message_key: self.message,
            **self.extra,
        }


class _ClientError(LambdaApiError):
    status = 400
    fault = "User"


class InvalidParameterValueException(_ClientError):
    """400: a request parameter is invalid (also a stale ``Invalid checkpoint token``)."""

    message_key = "message"


class InvalidRequestContentException(_ClientError):
    """400: the request body is not valid JSON or not the shape the operation takes."""

    message_key = "message"


class CallbackTimeoutException(_ClientError):
    """400: the callback is no longer open (it timed out, completed, or its execution ended)."""


class ResourceNotFoundException(_ClientError):
    """404: no such function, version, alias or durable execution."""

    status = 404


class ResourceConflictException(_ClientError):
    """409: the resource exists already, or is in a state that forbids the change."""

    status = 409
    message_key = "message"


class DurableExecutionAlreadyStartedException(_ClientError):
    """409: an execution of that name was started with a different payload."""

    status = 409


class PreconditionFailedException(_ClientError):
    """A ``RevisionId`` / ``CodeSha256`` precondition did not match."""

    status = 412
    message_key = "message"


class RequestTooLargeException(_ClientError):
    """413: a payload, result or error is larger than Lambda's limit."""

    status = 413
    message_key = "message"


class TooManyRequestsException(_ClientError):
    """429: throttled; botocore retries it (``Reason`` and ``retryAfterSeconds`` in ``extra``)."""

    status = 429
    message_key = "message"


class ServiceException(LambdaApiError):
    """500: the service failed (an unexpected error, logged by the renderer)."""

    status = 500
