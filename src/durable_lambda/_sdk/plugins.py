"""Running instrumentation plugins for one invocation (sdk-spec.md §17).

``resolve_factories`` runs once at decoration time (cold start) and raises ``PluginLoadError`` for
bad registrations. ``PluginRunner`` calls every plugin's hook and swallows what a hook raises
(except interpreter-exit signals), so plugins observe executions without being able to alter them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from importlib import metadata
from typing import Any

from durable_lambda.exceptions import PluginLoadError

__all__ = ["PluginRunner", "resolve_factories"]

logger = logging.getLogger(__name__)

ENV_VAR = "DURABLE_EXECUTION_PLUGINS"
ENTRY_POINT_GROUP = "aws_durable_execution.plugins"
_PASS_THROUGH = (KeyboardInterrupt, SystemExit, GeneratorExit)


def _check_factory(factory: Any) -> None:
    if isinstance(factory, type) or not callable(getattr(factory, "create_plugin", None)):
        raise PluginLoadError(
            f"{factory!r} is not a plugin factory (an object with a create_plugin(info) method)"
        )


def resolve_factories(explicit: Sequence[Any] | None) -> list[Any]:
    factories: list[Any] = []
    for factory in explicit or ():
        _check_factory(factory)
        if not any(f is factory for f in factories):
            factories.append(factory)
    names = [n.strip() for n in os.environ.get(ENV_VAR, "").split(",")]
    if os.environ.get(ENV_VAR, "").strip():
        if any(not n for n in names) or len(set(names)) != len(names):
            raise PluginLoadError(f"{ENV_VAR} has empty or duplicate names: {names}")
        available = metadata.entry_points(group=ENTRY_POINT_GROUP)
        for name in names:
            matches = [ep for ep in available if ep.name == name]
            if len(matches) != 1:
                raise PluginLoadError(
                    f"plugin {name!r}: {'no' if not matches else 'ambiguous'} provider in "
                    f"{ENTRY_POINT_GROUP}"
                )
            factory = matches[0].load()
            factory = factory() if isinstance(factory, type) else factory
            _check_factory(factory)
            if not any(f is factory for f in factories):
                factories.append(factory)
    return factories


class PluginRunner:
    """The plugins of one invocation."""

    def __init__(self, plugins: Sequence[Any] = ()) -> None:
        self.plugins = list(plugins)

    @classmethod
    def create(cls, factories: Sequence[Any], info: Any) -> PluginRunner:
        plugins = []
        for factory in factories:
            try:
                plugin = factory.create_plugin(info)
            except _PASS_THROUGH:
                raise
            except Exception:
                logger.warning("plugin factory %r failed; plugin skipped", factory, exc_info=True)
                continue
            if plugin is not None:
                plugins.append(plugin)
        return cls(plugins)

    def __bool__(self) -> bool:
        return bool(self.plugins)

    def call(self, hook: str, info: Any) -> None:
        for plugin in self.plugins:
            method = getattr(plugin, hook, None)
            if method is None:
                continue
            try:
                method(info)
            except _PASS_THROUGH:
                raise
            except Exception:
                logger.warning("plugin hook %s raised; ignored", hook, exc_info=True)
