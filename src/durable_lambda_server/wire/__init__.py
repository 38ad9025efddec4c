"""Lambda API shapes for the service side: error classes and parsing of untrusted input."""

from durable_lambda_server.wire.errors import *  # noqa: F403
from durable_lambda_server.wire.errors import __all__ as _errors_all
from durable_lambda_server.wire.parse import parse_checkpoint_body, parse_error_object, parse_update

__all__ = [*_errors_all, "parse_checkpoint_body", "parse_error_object", "parse_update"]
