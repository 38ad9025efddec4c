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
    status: ClassVar[int] = 500
    fault: ClassVar[Literal["User", "Service"]] = "Service"
    message_key: ClassVar[Literal["message", "Message"]] = "Message"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra

    @property
    def error_type(self) -> str:
        return type(self).__name__

    def to_body(self) -> dict[str, Any]:
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
    message_key = "message"


class InvalidRequestContentException(_ClientError):
    message_key = "message"


class CallbackTimeoutException(_ClientError):
    pass


class ResourceNotFoundException(_ClientError):
    status = 404


class ResourceConflictException(_ClientError):
    status = 409
    message_key = "message"


class DurableExecutionAlreadyStartedException(_ClientError):
    status = 409


class PreconditionFailedException(_ClientError):
    """A ``RevisionId`` / ``CodeSha256`` precondition did not match."""

    status = 412
    message_key = "message"


class RequestTooLargeException(_ClientError):
    status = 413
    message_key = "message"


class TooManyRequestsException(_ClientError):
    status = 429
    message_key = "message"


class ServiceException(LambdaApiError):
    status = 500
