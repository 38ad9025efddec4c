"""Loading a SAM template for ``durable-lambda deploy``.

YAML with CloudFormation tags, Globals, Parameters and the intrinsic functions that wire functions
to each other.

Only what a function needs is resolved (Handler, CodeUri, Runtime, Timeout, MemorySize,
Environment, DurableConfig, AutoPublishAlias, FunctionName, Description): other properties
(Policies, Events, ...) may reference resources this server does not have and are ignored.
Every mistake is a ``TemplateError`` (one line, exit status 2) raised before anything deploys.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from durable_lambda_server.cli.sam_intrinsics import (
    Stack,
    TemplateError,
    resolve,
    text,
)

__all__ = ["FunctionSpec", "Stack", "TemplateError", "function_specs", "load_template", "resolve"]

SERVERLESS_FUNCTION = "AWS::Serverless::Function"


@dataclass(frozen=True)
class FunctionSpec:
    """One ``AWS::Serverless::Function``, fully resolved."""

    logical_id: str
    name: str
    handler: str
    code_dir: Path
    runtime: str
    timeout: int
    memory_size: int
    environment: dict[str, str]
    durable_config: dict[str, int] | None
    auto_publish_alias: str | None
    description: str = ""


# ---- YAML -------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """SafeLoader that turns CloudFormation short forms into their long (JSON) forms."""


def _short(long_name: str) -> Any:
    def construct(loader: _Loader, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {
            long_name: value.split(".", 1)
            if long_name == "Fn::GetAtt" and isinstance(value, str)
            else value
        }

    return construct


def _unknown_tag(loader: _Loader, suffix: str, node: yaml.Node) -> Any:
    line = node.start_mark.line + 1
    raise TemplateError(
        f"line {line}: unsupported tag !{suffix} (deploy supports !Ref, !GetAtt, !Sub and !Join)"
    )


for _tag, _long in {
    "!Ref": "Ref",
    "!GetAtt": "Fn::GetAtt",
    "!Sub": "Fn::Sub",
    "!Join": "Fn::Join",
}.items():
    _Loader.add_constructor(_tag, _short(_long))
_Loader.add_multi_constructor("!", _unknown_tag)  # type: ignore[no-untyped-call]  # untyped in PyYAML's stubs


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise TemplateError(f"cannot read template {path}: {err.strerror or err}") from err
    try:
        data = yaml.load(text, Loader=_Loader)  # safe: _Loader is a SafeLoader subclass
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise TemplateError(
            f"{path.name}: invalid YAML: {where}{getattr(err, 'problem', None) or err}"
        ) from err
    if not isinstance(data, dict):
        raise TemplateError(f"{path.name}: a template must be a YAML mapping")
    return data


# ---- loading ----------------------------------------------------------------------------------


def _merge_globals(defaults: Any, own: Any) -> Any:
    """SAM Globals semantics: maps merge (function wins), lists concatenate, scalars override."""
    if (
        isinstance(defaults, dict)
        and isinstance(own, dict)
        and not _is_intrinsic(defaults)
        and not _is_intrinsic(own)
    ):
        out = dict(defaults)
        for key, value in own.items():
            out[key] = _merge_globals(defaults[key], value) if key in defaults else value
        return out
    if isinstance(defaults, list) and isinstance(own, list):
        return [*defaults, *own]
    return own


def _is_intrinsic(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and len(value) == 1
        and (next(iter(value)) == "Ref" or str(next(iter(value))).startswith("Fn::"))
    )


def _parameters(data: dict[str, Any], overrides: Mapping[str, str]) -> dict[str, str]:
    declared = data.get("Parameters") or {}
    if not isinstance(declared, dict):
        raise TemplateError("Parameters must be a mapping")
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise TemplateError(f"parameter override for undeclared parameter {unknown[0]!r}")
    out: dict[str, str] = {}
    for key, raw_decl in declared.items():
        decl = raw_decl if isinstance(raw_decl, dict) else {}
        if key in overrides:
            value: Any = overrides[key]
        elif "Default" in decl:
            value = decl["Default"]
        else:
            raise TemplateError(
                f"parameter {key!r} has no Default: pass --parameter-overrides {key}=VALUE"
            )
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        value = str(value)
        allowed = decl.get("AllowedValues")
        if isinstance(allowed, list) and value not in [str(a) for a in allowed]:
            raise TemplateError(f"parameter {key!r}: {value!r} is not one of {allowed}")
        out[str(key)] = value
    return out


def load_template(
    path: str | Path,
    *,
    overrides: Mapping[str, str] | None = None,
    region: str = "us-east-1",
    account_id: str = "000000000000",
    stack_name: str = "durable-lambda",
) -> Stack:
    """Reads ``path``, merges Globals and resolves every function's name."""
    template = Path(path)
    data = _read_yaml(template)
    resources = data.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise TemplateError(f"{template.name}: no Resources")
    globals_fn = (data.get("Globals") or {}).get("Function") or {}
    if not isinstance(globals_fn, dict):
        raise TemplateError("Globals.Function must be a mapping")
    types, props = _split_resources(resources, globals_fn)
    if not props:
        raise TemplateError(f"{template.name}: no {SERVERLESS_FUNCTION} resources")
    stack = Stack(
        template,
        props,
        types,
        _parameters(data, overrides or {}),
        region=region,
        account_id=account_id,
        stack_name=stack_name,
    )
    _name_functions(stack, props)
    return stack


def _split_resources(
    resources: dict[Any, Any], globals_fn: dict[str, Any]
) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """Every resource's Type, and each function's Properties merged with Globals."""
    types: dict[str, str] = {}
    props: dict[str, dict[str, Any]] = {}
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            raise TemplateError(f"resource {logical_id!r} has no Type")
        types[str(logical_id)] = resource["Type"]
        if resource["Type"] != SERVERLESS_FUNCTION:
            continue
        own = resource.get("Properties") or {}
        if not isinstance(own, dict):
            raise TemplateError(f"{logical_id}: Properties must be a mapping")
        props[str(logical_id)] = _merge_globals(globals_fn, own)
    return types, props


def _name_functions(stack: Stack, props: dict[str, dict[str, Any]]) -> None:
    """Resolves each function's name into ``stack.names``; names must be valid and distinct."""
    for logical_id, fn in props.items():
        raw = fn.get("FunctionName")
        name = (
            logical_id
            if raw is None
            else resolve(stack, raw, f"{logical_id}.FunctionName", names_only=True)
        )
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
            raise TemplateError(f"{logical_id}: invalid FunctionName {name!r}")
        stack.names[logical_id] = name
    taken: dict[str, str] = {}
    for logical_id, name in stack.names.items():
        if name in taken:
            raise TemplateError(
                f"{logical_id} and {taken[name]} have the same FunctionName {name!r}"
            )
        taken[name] = logical_id


# ---- intrinsic functions ----------------------------------------------------------------------


# ---- functions --------------------------------------------------------------------------------


def _int(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise TemplateError(f"{where}: expected an integer between {low} and {high}, got {value!r}")
    return int(value)


def _code_dir(stack: Stack, logical_id: str, props: dict[str, Any]) -> Path:
    code_uri = resolve(stack, props.get("CodeUri"), f"{logical_id}.CodeUri")
    if code_uri is None:
        what = "InlineCode is not supported" if "InlineCode" in props else "CodeUri is missing"
        raise TemplateError(f"{logical_id}: {what} (deploy needs a CodeUri directory)")
    if not isinstance(code_uri, str):
        raise TemplateError(
            f"{logical_id}: CodeUri must be a local directory (S3 locations are not supported)"
        )
    directory = (stack.path.parent / code_uri).resolve()
    if not directory.is_dir():
        raise TemplateError(
            f"{logical_id}: CodeUri directory {code_uri!r} does not exist ({directory})"
        )
    return directory


def _handler(stack: Stack, logical_id: str, props: dict[str, Any], code_dir: Path) -> str:
    handler = resolve(stack, props.get("Handler"), f"{logical_id}.Handler")
    if handler is None:
        raise TemplateError(f"{logical_id}: Handler is missing (expected 'module.function')")
    if not isinstance(handler, str) or not re.fullmatch(r"[\w./-]+\.\w+", handler):
        raise TemplateError(f"{logical_id}: Handler must be 'module.function', got {handler!r}")
    module = handler.rpartition(".")[0]
    relative = module.replace(".", "/") if "/" not in module else module
    if not (code_dir / f"{relative}.py").is_file():
        raise TemplateError(
            f"{logical_id}: Handler {handler!r}: {relative}.py not found in {code_dir}"
        )
    return handler


def _environment(stack: Stack, logical_id: str, props: dict[str, Any]) -> dict[str, str]:
    where = f"{logical_id}.Environment"
    env = resolve(stack, props.get("Environment") or {}, where)
    variables = env.get("Variables") if isinstance(env, dict) else None
    if not isinstance(variables or {}, dict):
        raise TemplateError(f"{where}.Variables must be a mapping")
    out: dict[str, str] = {}
    for key, raw in (variables or {}).items():
        value = ("true" if raw else "false") if isinstance(raw, bool) else raw
        out[str(key)] = text(value, f"{where}.Variables.{key}")
    return out


def _durable(stack: Stack, logical_id: str, props: dict[str, Any]) -> dict[str, int] | None:
    where = f"{logical_id}.DurableConfig"
    config = resolve(stack, props.get("DurableConfig"), where)
    if config is None:
        return None
    if not isinstance(config, dict):
        raise TemplateError(f"{where} must be a mapping")
    unknown = sorted(set(config) - {"ExecutionTimeout", "RetentionPeriodInDays"})
    if unknown:
        raise TemplateError(f"{where}: unsupported key {unknown[0]!r}")
    limits = {"ExecutionTimeout": 31_622_400, "RetentionPeriodInDays": 90}
    return {
        key: _int(config[key], f"{where}.{key}", 1, high)
        for key, high in limits.items()
        if key in config
    }


def function_specs(stack: Stack) -> list[FunctionSpec]:
    """Every function of ``stack``, validated and resolved, in template order."""
    specs: list[FunctionSpec] = []
    for logical_id, props in stack.properties.items():

        def prop(
            key: str, default: Any = None, lid: str = logical_id, p: dict[str, Any] = props
        ) -> Any:
            return resolve(stack, p.get(key, default), f"{lid}.{key}")

        if prop("PackageType") not in (None, "Zip"):
            raise TemplateError(
                f"{logical_id}: PackageType {prop('PackageType')!r} is not supported (only Zip)"
            )
        code_dir = _code_dir(stack, logical_id, props)
        runtime = prop("Runtime", "python3.13")
        if not isinstance(runtime, str) or not runtime.startswith("python"):
            raise TemplateError(
                f"{logical_id}: Runtime {runtime!r} is not supported (python3.x only)"
            )
        alias = prop("AutoPublishAlias")
        if alias is not None and (
            not isinstance(alias, str) or not re.fullmatch(r"(?!\d+$)[A-Za-z0-9_-]{1,128}", alias)
        ):
            raise TemplateError(f"{logical_id}: invalid AutoPublishAlias {alias!r}")
        specs.append(
            FunctionSpec(
                logical_id=logical_id,
                name=stack.names[logical_id],
                handler=_handler(stack, logical_id, props, code_dir),
                code_dir=code_dir,
                runtime=runtime,
                timeout=_int(prop("Timeout", 3), f"{logical_id}.Timeout", 1, 900),
                memory_size=_int(prop("MemorySize", 128), f"{logical_id}.MemorySize", 128, 10240),
                environment=_environment(stack, logical_id, props),
                durable_config=_durable(stack, logical_id, props),
                auto_publish_alias=alias,
                description=text(prop("Description", ""), f"{logical_id}.Description"),
            )
        )
    return specs
