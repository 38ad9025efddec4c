"""Effects: work a transaction asks for, done after it committed (style.md §7).

Processors and completions append effects to their ``ExecutionWriter``; ``apply_effects`` runs
them once the transaction is durable, so nothing outside the store (a chained invoke's child, a
caller waiting on its child) ever sees a change that could still roll back. Effects are frozen
data; a new kind is a new class here and a new ``case`` in ``apply_effects``, which mypy holds to
exhaustiveness (``assert_never``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, assert_never

if TYPE_CHECKING:
    from durable_lambda_server.engine.execution_writer import ExecutionWriter
    from durable_lambda_server.engine.resources import EngineResources
    from durable_lambda_server.store.base import ExecutionRow

__all__ = [
    "ChildExecutionFinished",
    "Effect",
    "StartChainedInvoke",
    "after_commit",
    "apply_effects",
]


@dataclass(frozen=True, slots=True)
class StartChainedInvoke:
    """A CHAINED_INVOKE started: run its target (a durable execution or one plain invocation)."""

    op_id: str
    function_name: str  # as the handler named it: name, name:qualifier or an ARN
    payload: str | None
    # Fixed at START so that ``ChainedInvokeStarted`` can name the child (None: unknown target).
    execution_name: str | None = None
    execution_id: str | None = None
    version: str | None = None


@dataclass(frozen=True, slots=True)
class ChildExecutionFinished:
    """This execution, the child of a caller's CHAINED_INVOKE, ended: complete that operation."""


Effect = StartChainedInvoke | ChildExecutionFinished


def apply_effects(r: EngineResources, arn: str, ex: ExecutionRow, effects: list[Effect]) -> None:
    """Runs ``effects`` of a committed transaction on execution ``arn`` (row ``ex``)."""
    if not effects:
        return  # the common case (a step's checkpoint): no import, no loop
    from durable_lambda_server.engine import chained_invokes

    for effect in effects:
        match effect:
            case StartChainedInvoke():
                chained_invokes.start(r, arn, effect)
            case ChildExecutionFinished():
                chained_invokes.finish(r, ex)
            case _:
                assert_never(effect)


def after_commit(
    r: EngineResources,
    w: ExecutionWriter,
    arn: str,
    *,
    notify: bool = True,
) -> None:
    """What follows a committed transaction of ``w``: its effects, then a wake-up.

    The wake-up of the listeners (the dispatcher) is skipped when ``notify`` is False.
    """
    apply_effects(r, arn, w.ex, w.effects)
    if notify:
        r.notify()
