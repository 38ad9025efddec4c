"""Instrumentation plugins: registration errors, hook isolation, per-invocation creation."""

from __future__ import annotations

from typing import Any

import pytest

from durable_lambda._sdk.plugins import PluginRunner, resolve_factories
from durable_lambda.exceptions import PluginLoadError
from durable_lambda.plugin import DurableInstrumentationPlugin, DurableInstrumentationPluginFactory


class Recorder(DurableInstrumentationPlugin):
    def __init__(self, calls: list[str], *, fail: bool = False) -> None:
        self.calls = calls
        self.fail = fail

    def on_invocation_start(self, info: Any) -> None:
        self.calls.append("start")
        if self.fail:
            raise RuntimeError("hook failed")


class Factory(DurableInstrumentationPluginFactory):
    def __init__(self, calls: list[str], *, fail: bool = False, broken: bool = False) -> None:
        self.calls = calls
        self.fail = fail
        self.broken = broken

    def create_plugin(self, info: Any, /) -> DurableInstrumentationPlugin:
        if self.broken:
            raise ValueError("cannot create")
        return Recorder(self.calls, fail=self.fail)


def test_classes_and_callables_are_rejected_at_registration() -> None:
    with pytest.raises(PluginLoadError):
        resolve_factories([Factory])
    with pytest.raises(PluginLoadError):
        resolve_factories([lambda info: None])


def test_same_factory_is_registered_once() -> None:
    factory = Factory([])
    assert resolve_factories([factory, factory]) == [factory]


def test_env_var_names_must_resolve(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DURABLE_EXECUTION_PLUGINS", "no-such-plugin")
    with pytest.raises(PluginLoadError, match="no provider"):
        resolve_factories([])
    monkeypatch.setenv("DURABLE_EXECUTION_PLUGINS", "a,,b")
    with pytest.raises(PluginLoadError):
        resolve_factories([])
    monkeypatch.setenv("DURABLE_EXECUTION_PLUGINS", "   ")
    assert resolve_factories([]) == []


def test_hook_and_factory_errors_are_swallowed() -> None:
    calls: list[str] = []
    runner = PluginRunner.create(
        [Factory(calls, fail=True), Factory(calls, broken=True), Factory(calls)], None
    )
    assert len(runner.plugins) == 2
    runner.call("on_invocation_start", None)
    assert calls == ["start", "start"]
    runner.call("on_no_such_hook", None)
