"""Validation of CreateFunction / UpdateFunctionConfiguration fields (lambda-api.md §2.1-2.3).

Each checker takes the untrusted JSON value and returns it typed, or raises
``InvalidParameterValueException`` (400): a client mistake is never a 500.
"""

from __future__ import annotations

import re
from typing import Any

from durable_lambda_server.engine import functions
from durable_lambda_server.engine.alias_rules import MAX_DESCRIPTION_CHARS
from durable_lambda_server.wire.errors import InvalidParameterValueException

__all__ = [
    "MAX_MEMORY",
    "MAX_TIMEOUT",
    "check_architectures",
    "check_description",
    "check_durable_config",
    "check_environment",
    "check_function_name",
    "check_handler",
    "check_int",
    "check_memory",
    "check_role",
    "check_runtime",
    "check_timeout",
]

MAX_TIMEOUT = 900
MIN_MEMORY, MAX_MEMORY = 128, 10240
# The Python runtimes of the Lambda Runtime enum that Lambda still accepts for new functions.
PYTHON_RUNTIMES = frozenset(f"python3.{minor}" for minor in range(8, 15))
_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_HANDLER = re.compile(r"^[^\s]{1,128}$")
_ROLE = re.compile(r"^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-/]+$")
_ENV_KEY = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]+$")
_ENV_LIMIT = 4096


def _bad(message: str) -> InvalidParameterValueException:
    return InvalidParameterValueException(message)


def check_function_name(value: Any) -> str:
    """A function name (or ARN naming one) -> the bare name, safe as a directory name."""
    if not isinstance(value, str) or not value:
        raise _bad("FunctionName is required")
    name, qualifier = functions.parse_function_ref(value)
    if qualifier is not None:
        raise _bad(f"FunctionName must not carry a qualifier here, got {value!r}")
    if not _NAME.fullmatch(name):
        raise _bad(f"Function name {name!r} must be 1-64 characters of [a-zA-Z0-9-_]")
    return name


def check_int(body: dict[str, Any], key: str, low: int, high: int) -> int | None:
    """``body[key]`` as an integer in ``[low, high]``, or None when absent (bools are refused)."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(f"{key} must be an integer between {low} and {high}, got {value!r}")
    return int(value)


def check_timeout(body: dict[str, Any]) -> int | None:
    """``Timeout`` in seconds (1-900, Lambda's limit), or None when absent."""
    return check_int(body, "Timeout", 1, MAX_TIMEOUT)


def check_memory(body: dict[str, Any]) -> int | None:
    """``MemorySize`` in MB (128-10240, Lambda's range), or None when absent."""
    return check_int(body, "MemorySize", MIN_MEMORY, MAX_MEMORY)


def check_runtime(value: Any) -> str:
    """``Runtime``, which must be one of the Python runtimes: nothing else can run here."""
    if not isinstance(value, str) or not value:
        raise _bad(
            "Runtime and Handler are mandatory parameters for functions created with "
            "deployment packages."
        )
    if value not in PYTHON_RUNTIMES:
        raise _bad(
            f"Runtime {value!r} is not supported: durable-lambda runs Python functions "
            f"({', '.join(sorted(PYTHON_RUNTIMES, key=lambda r: int(r.split('.')[1])))})"
        )
    return value


def check_handler(value: Any) -> str:
    """``Handler`` in Lambda's ``module.function`` form (at most 128 characters, no spaces)."""
    if not isinstance(value, str) or not value:
        raise _bad(
            "Runtime and Handler are mandatory parameters for functions created with "
            "deployment packages."
        )
    module, _, function = value.rpartition(".")
    if not _HANDLER.fullmatch(value) or not module or not function or module.startswith("."):
        raise _bad(
            f"Handler must be 'module.function' (at most 128 characters, no spaces), got {value!r}"
        )
    return value


def check_role(value: Any) -> str:
    """``Role``, which must look like an IAM role ARN; it is stored and echoed, never assumed."""
    if not isinstance(value, str) or not _ROLE.fullmatch(value):
        raise _bad(
            f"Role must be an IAM role ARN (arn:aws:iam::<account>:role/<name>), got {value!r}"
        )
    return value


def check_description(value: Any) -> str:
    """``Description`` (at most 256 characters); absent becomes ``""``."""
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_DESCRIPTION_CHARS:
        raise _bad("Description must be a string of at most 256 characters")
    return value


def check_environment(value: Any) -> dict[str, str]:
    """``Environment`` -> its variables; ``{}`` or no ``Variables`` clears them."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _bad("Environment must be an object with Variables")
    variables = value.get("Variables")
    if variables is None:
        return {}
    if not isinstance(variables, dict):
        raise _bad("Environment.Variables must map names to strings")
    size = 0
    for key, item in variables.items():
        if not isinstance(item, str) or not _ENV_KEY.fullmatch(key):
            raise _bad(
                f"Environment variable {key!r}: names match [a-zA-Z][a-zA-Z0-9_]+ and values "
                "are strings"
            )
        size += len(key.encode()) + len(item.encode())
    if size > _ENV_LIMIT:
        raise _bad(f"Environment variables exceed the {_ENV_LIMIT}-byte limit ({size} bytes)")
    return dict(variables)


def check_durable_config(value: Any, current: tuple[int, int] | None = None) -> tuple[int, int]:
    """``DurableConfig`` -> (ExecutionTimeout, RetentionPeriodInDays).

    Absent members keep ``current`` (or the defaults 86400 s / 14 days).
    """
    if not isinstance(value, dict):
        raise _bad("DurableConfig must be an object")
    timeout = check_int(value, "ExecutionTimeout", 1, 31_622_400)
    retention = check_int(value, "RetentionPeriodInDays", 1, 90)
    base_timeout, base_retention = current or (86400, 14)
    return (
        timeout if timeout is not None else base_timeout,
        retention if retention is not None else base_retention,
    )


def check_architectures(value: Any) -> list[str] | None:
    """``Architectures`` (exactly one of ``x86_64``, ``arm64``), or None when absent."""
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 1 or value[0] not in ("x86_64", "arm64"):
        raise _bad("Architectures must be a list of exactly one of x86_64, arm64")
    return list(value)
