"""CloudFormation intrinsic functions in a SAM template, resolved against a parsed ``Stack``.

``Ref``, ``Fn::GetAtt``, ``Fn::Sub`` and ``Fn::Join`` (and ``AWS::NoValue``).

Also home to ``Stack`` and ``TemplateError``, which both the template loader (``sam.py``) and the
resolution here need.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from durable_lambda_server.cli.commands import UserError

__all__ = ["NO_VALUE", "SUPPORTED", "Stack", "TemplateError", "resolve", "text"]

NO_VALUE = object()  # AWS::NoValue: the property is removed
_SUB_VAR = re.compile(r"\$\{([^}]*)\}")
SUPPORTED = {"Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join"}


class TemplateError(UserError):
    """A template that cannot be deployed: reported as one line, exit status 2."""


@dataclass
class Stack:
    """A parsed template: raw function properties (Globals merged) plus what ``!Ref`` can name."""

    path: Path
    properties: dict[str, dict[str, Any]]  # logical id -> merged Properties
    resource_types: dict[str, str]
    parameters: dict[str, str]
    names: dict[str, str] = field(default_factory=dict)  # logical id -> function name
    region: str = "us-east-1"
    account_id: str = "000000000000"
    stack_name: str = "durable-lambda"

    def function_arn(self, logical_id: str) -> str:
        """The ARN ``!GetAtt <logical_id>.Arn`` names, in the stack's region and account."""
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.names[logical_id]}"


def _ref(stack: Stack, name: str, where: str, *, names_only: bool) -> Any:
    pseudo = {
        "AWS::Region": stack.region,
        "AWS::AccountId": stack.account_id,
        "AWS::Partition": "aws",
        "AWS::StackName": stack.stack_name,
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::NoValue": NO_VALUE,
    }
    if name in pseudo:
        return pseudo[name]
    if name in stack.parameters:
        return stack.parameters[name]
    logical, _, suffix = name.partition(".")
    if logical in stack.properties:
        if names_only:
            raise TemplateError(f"{where}: FunctionName cannot reference function {logical!r}")
        if not suffix:
            return stack.names[logical]
        if suffix != "Alias":
            raise TemplateError(
                f"{where}: !Ref {name}: only !Ref {logical} and !Ref {logical}.Alias are supported"
            )
        alias = resolve(stack, stack.properties[logical].get("AutoPublishAlias"), where)
        if not alias:
            raise TemplateError(f"{where}: !Ref {name}: {logical} has no AutoPublishAlias")
        return f"{stack.function_arn(logical)}:{alias}"
    if name in stack.resource_types:
        raise TemplateError(
            f"{where}: !Ref {name}: {stack.resource_types[name]} resources are not deployed"
        )
    raise TemplateError(f"{where}: !Ref to unknown resource or parameter {name!r}")


def _get_att(stack: Stack, value: Any, where: str, *, names_only: bool) -> str:
    if isinstance(value, str):
        value = value.split(".", 1)
    if not isinstance(value, list) or len(value) != 2 or not all(isinstance(v, str) for v in value):  # noqa: PLR2004  (a [LogicalId, Attribute] pair)
        raise TemplateError(f"{where}: Fn::GetAtt needs [LogicalId, Attribute], got {value!r}")
    logical, attr = value
    if logical not in stack.resource_types:
        raise TemplateError(f"{where}: !GetAtt to unknown resource {logical!r}")
    if logical not in stack.properties:
        raise TemplateError(
            f"{where}: !GetAtt {logical}.{attr}: {stack.resource_types[logical]} resources "
            "are not deployed"
        )
    if names_only:
        raise TemplateError(f"{where}: FunctionName cannot reference function {logical!r}")
    if attr != "Arn":
        raise TemplateError(
            f"{where}: !GetAtt {logical}.{attr}: only the Arn attribute is supported"
        )
    return stack.function_arn(logical)


def _sub(stack: Stack, value: Any, where: str, *, names_only: bool) -> str:
    variables: dict[str, Any] = {}
    if isinstance(value, list):
        if len(value) != 2 or not isinstance(value[0], str) or not isinstance(value[1], dict):  # noqa: PLR2004  (a [string, variables] pair)
            raise TemplateError(f"{where}: Fn::Sub needs a string or [string, {{variables}}]")
        value, variables = (
            value[0],
            {k: resolve(stack, v, where, names_only=names_only) for k, v in value[1].items()},
        )
    if not isinstance(value, str):
        raise TemplateError(f"{where}: Fn::Sub needs a string, got {value!r}")

    def replace(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            return text(variables[name], where)
        if "." in name and not name.startswith("AWS::") and not name.endswith(".Alias"):
            return _get_att(stack, name, where, names_only=names_only)
        return text(_ref(stack, name, where, names_only=names_only), where)

    return _SUB_VAR.sub(replace, value)


def text(value: Any, where: str) -> str:
    """``value`` as a string (numbers are converted); ``where`` names the property in errors."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TemplateError(f"{where}: expected a string, got {value!r}")
    return str(value)


def resolve(stack: Stack, value: Any, where: str, *, names_only: bool = False) -> Any:
    """``value`` with every intrinsic function replaced by its result."""
    if isinstance(value, list):
        return [
            r
            for r in (resolve(stack, v, where, names_only=names_only) for v in value)
            if r is not NO_VALUE
        ]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, arg),) = value.items()
        result = _intrinsic(stack, key, arg, where, names_only=names_only)
        if result is not _NOT_INTRINSIC:
            return result
    out: dict[str, Any] = {}
    for key, item in value.items():
        resolved = resolve(stack, item, f"{where}.{key}", names_only=names_only)
        if resolved is not NO_VALUE:
            out[key] = resolved
    return out


_NOT_INTRINSIC = object()  # what _intrinsic returns for a one-key mapping that is plain data


def _intrinsic(stack: Stack, key: Any, arg: Any, where: str, *, names_only: bool) -> Any:
    """The result of the intrinsic function ``{key: arg}``; ``_NOT_INTRINSIC`` for plain data."""
    if key == "Ref":
        if not isinstance(arg, str):
            raise TemplateError(f"{where}: Ref needs a name, got {arg!r}")
        return _ref(stack, arg, where, names_only=names_only)
    if key == "Fn::GetAtt":
        return _get_att(stack, arg, where, names_only=names_only)
    if key == "Fn::Sub":
        return _sub(stack, arg, where, names_only=names_only)
    if key == "Fn::Join":
        return _join(stack, arg, where, names_only=names_only)
    if isinstance(key, str) and key.startswith("Fn::") and key not in SUPPORTED:
        raise TemplateError(
            f"{where}: unsupported intrinsic function {key} (deploy supports {sorted(SUPPORTED)})"
        )
    return _NOT_INTRINSIC


def _join(stack: Stack, arg: Any, where: str, *, names_only: bool) -> str:
    if not isinstance(arg, list) or len(arg) != 2 or not isinstance(arg[0], str):  # noqa: PLR2004  (a [delimiter, values] pair)
        raise TemplateError(f"{where}: Fn::Join needs [delimiter, [values]]")
    items = resolve(stack, arg[1], where, names_only=names_only)
    if not isinstance(items, list):
        raise TemplateError(f"{where}: Fn::Join needs a list of values")
    return arg[0].join(text(v, where) for v in items)
