"""``Engine``: the durable-execution service behind the Lambda API (ARCHITECTURE.md "Engine API").

A facade and nothing more: each method is one use case, implemented by a function of the module
named beside it (``executions``, ``checkpoints``, ``callbacks``, ``timers``, ``leases``,
``invocations``, ``retention``, ``queries``, ``registry``) that takes the ``EngineResources`` this
object was built with. Every use case is one store transaction; effects (waking the dispatcher,
starting a chained invoke) run after commit. Bodies are Lambda wire JSON with epoch-millisecond
timestamps; failures are ``wire.errors`` exceptions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from durable_lambda.lambda_service import OperationUpdate
from durable_lambda_server.engine import (
    callbacks,
    checkpoints,
    executions,
    invocations,
    leases,
    queries,
    registry,
    retention,
    timers,
)
from durable_lambda_server.engine.clock import Clock
from durable_lambda_server.engine.ids import IdSource
from durable_lambda_server.engine.messages import (
    FunctionRecord,
    InvocationTicket,
    StartExecution,
    StartResult,
)
from durable_lambda_server.engine.queries import DispatchOutlook
from durable_lambda_server.engine.resources import DEFAULT_MAX_OPERATIONS, EngineResources
from durable_lambda_server.store.base import Store

__all__ = ["Engine"]


class Engine:
    """``Engine(store, clock=..., ids=..., region=..., account_id=..., max_operations=25_000)``."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock | None = None,
        ids: IdSource | None = None,
        region: str = "us-east-1",
        account_id: str = "000000000000",
        max_operations: int = DEFAULT_MAX_OPERATIONS,
    ) -> None:
        """Builds the ``EngineResources`` the use cases share (see ``EngineResources``)."""
        self._r = EngineResources(
            store,
            clock=clock,
            ids=ids,
            region=region,
            account_id=account_id,
            max_operations=max_operations,
        )
        # What the engine was built with, for its callers (read them; do not reassign).
        self.resources = self._r
        self.store: Store = self._r.store  # every use case's transactions run on it
        self.clock: Clock = self._r.clock  # a SkippingClock under time skipping
        self.ids: IdSource = self._r.ids  # tokens, callback ids, execution ids
        self.region = region
        self.account_id = account_id
        self.max_operations = max_operations  # the most operations one execution may hold

    def function_arn(self, name: str) -> str:
        """The unqualified ARN of function ``name``."""
        return self._r.function_arn(name)

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Called after commits that may make an execution runnable."""
        self._r.add_listener(listener)

    def shared_commit(self) -> AbstractContextManager[None]:
        """Write calls on this thread inside the block share one store commit at its end."""
        return self._r.shared_commit()

    def close(self) -> None:
        """Closes the store."""
        self._r.store.close()

    # -- executions ------------------------------------------------------------------------------

    def start_execution(
        self,
        request: StartExecution,
        *,
        parent: tuple[str, str] | None = None,
        claim_for: tuple[str, float] | None = None,
    ) -> StartResult:
        """Starts an execution (the durable side of Invoke): ``executions.start_execution``."""
        return executions.start_execution(
            self._r, request=request, parent=parent, claim_for=claim_for
        )

    def stop_execution(self, arn: str, error: dict[str, Any] | None = None) -> dict[str, Any]:
        """StopDurableExecution: ends a running execution as STOPPED."""
        return executions.stop_execution(self._r, arn=arn, error=error)

    # -- checkpoints -----------------------------------------------------------------------------

    def checkpoint(self, arn: str, body: dict[str, Any]) -> dict[str, Any]:
        """CheckpointDurableExecution: applies a checkpoint body and answers the new state."""
        return checkpoints.checkpoint(self._r, arn=arn, body=body)

    def checkpoint_updates(
        self,
        arn: str,
        token: str,
        updates: Sequence[OperationUpdate],
        client_token: str | None = None,
    ) -> dict[str, Any]:
        """``checkpoint`` for in-process callers that hold the SDK's ``OperationUpdate`` objects."""
        return checkpoints.checkpoint_updates(
            self._r, arn=arn, token=token, updates=updates, client_token=client_token
        )

    # -- callbacks -------------------------------------------------------------------------------

    def send_callback_success(self, callback_id: str, result: bytes | None = None) -> None:
        """SendDurableExecutionCallbackSuccess: completes a callback with its result."""
        return callbacks.send_callback_success(self._r, callback_id=callback_id, result=result)

    def send_callback_failure(self, callback_id: str, error: dict[str, Any] | None = None) -> None:
        """SendDurableExecutionCallbackFailure: fails a callback with an error."""
        return callbacks.send_callback_failure(self._r, callback_id=callback_id, error=error)

    def send_callback_heartbeat(self, callback_id: str) -> None:
        """SendDurableExecutionCallbackHeartbeat: restarts a callback's heartbeat timeout."""
        return callbacks.send_callback_heartbeat(self._r, callback_id=callback_id)

    # -- timers ----------------------------------------------------------------------------------

    def fire_due_timers(self, limit: int = 100) -> int:
        """Applies up to ``limit`` due timers; returns how many fired."""
        return timers.fire_due_timers(self._r, limit=limit)

    # -- invocations and leases ------------------------------------------------------------------

    def claim_invocation(
        self, owner: str, lease_seconds: float, arn: str | None = None
    ) -> InvocationTicket | None:
        """Leases the oldest runnable execution whose function is below its reserved concurrency."""
        return leases.claim_invocation(self._r, owner=owner, lease_seconds=lease_seconds, arn=arn)

    def renew_lease(self, ticket: InvocationTicket, lease_seconds: float) -> bool:
        """Extends a running invocation's lease (its heartbeat); False if it was fenced off."""
        return leases.renew_lease(self._r, ticket=ticket, lease_seconds=lease_seconds)

    def release_leases(self, arn: str) -> None:
        """Expires the lease on ``arn`` now (an operator resuming after a crash)."""
        return leases.release_leases(self._r, arn=arn)

    def release_dead_leases(
        self, owner_is_dead: Callable[[str], bool], *, forgive: Callable[[str], bool] | None = None
    ) -> list[str]:
        """Ends every live lease whose owner ``owner_is_dead`` proves gone; returns the ARNs."""
        return leases.release_dead_leases(self._r, owner_is_dead=owner_is_dead, forgive=forgive)

    def complete_invocation(
        self,
        ticket: InvocationTicket,
        *,
        output: Any = None,
        error: dict[str, Any] | None = None,
        started_ms: int | None = None,
        ended_ms: int | None = None,
        on_terminal: Callable[[dict[str, Any]], None] | None = None,
    ) -> bool:
        """Records an invocation's outcome, fenced by its lease (False when fenced off)."""
        return invocations.complete_invocation(
            self._r,
            ticket=ticket,
            output=output,
            error=error,
            started_ms=started_ms,
            ended_ms=ended_ms,
            on_terminal=on_terminal,
        )

    def complete_and_claim(
        self,
        ticket: InvocationTicket,
        owner: str,
        lease_seconds: float,
        *,
        output: Any = None,
        error: dict[str, Any] | None = None,
        started_ms: int | None = None,
        ended_ms: int | None = None,
    ) -> InvocationTicket | None:
        """Records an invocation's outcome and claims the next runnable one in one commit."""
        return invocations.complete_and_claim(
            self._r,
            ticket=ticket,
            owner=owner,
            lease_seconds=lease_seconds,
            output=output,
            error=error,
            started_ms=started_ms,
            ended_ms=ended_ms,
        )

    # -- retention -------------------------------------------------------------------------------

    def delete_expired_executions(self, limit: int = 100) -> int:
        """Deletes up to ``limit`` executions past their retention period; returns how many."""
        return retention.delete_expired_executions(self._r, limit=limit)

    # -- reads -----------------------------------------------------------------------------------

    def get_execution(self, arn: str) -> dict[str, Any]:
        """GetDurableExecution: the execution with its input, result and error."""
        return queries.get_execution(self._r, arn=arn)

    def list_executions(
        self,
        function_name: str | None = None,
        *,
        statuses: list[str] | None = None,
        name: str | None = None,
        started_after: int | None = None,
        started_before: int | None = None,
        marker: str | None = None,
        max_items: int | None = None,
        reverse: bool = False,
    ) -> dict[str, Any]:
        """ListDurableExecutionsByFunction: one page of executions matching the filters."""
        return queries.list_executions(
            self._r,
            function_name=function_name,
            statuses=statuses,
            name=name,
            started_after=started_after,
            started_before=started_before,
            marker=marker,
            max_items=max_items,
            reverse=reverse,
        )

    def list_version_executions(
        self, function_name: str, version: str, **filters: Any
    ) -> dict[str, Any]:
        """ListDurableExecutionsByFunction with a ``Qualifier``: one version's executions."""
        return queries.list_version_executions(
            self._r, function_name=function_name, version=version, **filters
        )

    def get_history(
        self,
        arn: str,
        *,
        include_execution_data: bool = False,
        marker: str | None = None,
        max_items: int | None = None,
        reverse: bool = False,
    ) -> dict[str, Any]:
        """GetDurableExecutionHistory: one page of an execution's events."""
        return queries.get_history(
            self._r,
            arn=arn,
            include_execution_data=include_execution_data,
            marker=marker,
            max_items=max_items,
            reverse=reverse,
        )

    def get_execution_state(
        self,
        arn: str,
        checkpoint_token: str,
        marker: str | None = None,
        max_items: int | None = None,
    ) -> dict[str, Any]:
        """GetDurableExecutionState: one page of operations, for the current token's holder."""
        return queries.get_execution_state(
            self._r, arn=arn, checkpoint_token=checkpoint_token, marker=marker, max_items=max_items
        )

    def next_due_ms(self) -> int | None:
        """When the earliest timer falls due, or None if none is scheduled."""
        return queries.next_due_ms(self._r)

    def dispatch_outlook(self) -> DispatchOutlook:
        """Whether anything is runnable, the next timer and the next lease expiry, in one read."""
        return queries.dispatch_outlook(self._r)

    # -- function registry -----------------------------------------------------------------------

    def put_function(self, record: FunctionRecord) -> None:
        """Registers a function or replaces its ``$LATEST`` (an upsert, for embedding and tests)."""
        return registry.put_function(self._r, record=record)

    def get_function(self, name: str, qualifier: str | None = None) -> FunctionRecord:
        """The function at ``qualifier`` ($LATEST, a version or an alias); ARNs are accepted."""
        return registry.get_function(self._r, name=name, qualifier=qualifier)

    def list_functions(self) -> list[FunctionRecord]:
        """``$LATEST`` of every function, by name."""
        return registry.list_functions(self._r)

    def delete_function(self, name: str) -> None:
        """Deletes a function with its versions and aliases; its executions stay readable."""
        return registry.delete_function(self._r, name=name)

    def publish_version(self, name: str) -> FunctionRecord:
        """Publishes ``$LATEST`` as the next version, unconditionally."""
        return registry.publish_version(self._r, name=name)

    def list_versions(self, name: str) -> list[FunctionRecord]:
        """ListVersionsByFunction: ``$LATEST``, then the published versions in order."""
        return registry.list_versions(self._r, name=name)

    def put_alias(
        self,
        name: str,
        alias: str,
        version: str,
        *,
        routing: dict[str, float] | None = None,
        description: str = "",
    ) -> dict[str, Any]:
        """Creates or replaces an alias (an upsert, for embedding and tests)."""
        return registry.put_alias(
            self._r,
            name=name,
            alias=alias,
            version=version,
            routing=routing,
            description=description,
        )

    def get_alias(self, name: str, alias: str) -> dict[str, Any]:
        """GetAlias: an alias's version, description and routing."""
        return registry.get_alias(self._r, name=name, alias=alias)

    def delete_alias(self, name: str, alias: str) -> None:
        """DeleteAlias: removes an alias."""
        return registry.delete_alias(self._r, name=name, alias=alias)

    def list_aliases(self, name: str) -> list[dict[str, Any]]:
        """ListAliases: a function's aliases."""
        return registry.list_aliases(self._r, name=name)

    def create_function(self, record: FunctionRecord) -> None:
        """CreateFunction: like ``put_function`` but a taken name is a 409."""
        return registry.create_function(self._r, record=record)

    def update_function(
        self,
        name: str,
        change: Callable[[FunctionRecord], FunctionRecord],
        revision_id: str | None = None,
    ) -> FunctionRecord:
        """UpdateFunctionCode / UpdateFunctionConfiguration: applies ``change`` to ``$LATEST``."""
        return registry.update_function(self._r, name=name, change=change, revision_id=revision_id)

    def publish_function_version(self, name: str, **preconditions: Any) -> FunctionRecord:
        """PublishVersion with its preconditions; unchanged code returns the newest version."""
        return registry.publish_function_version(self._r, name=name, **preconditions)

    def delete_function_version(self, name: str, qualifier: str) -> None:
        """DeleteFunction with a version ``Qualifier``: deletes that published version."""
        return registry.delete_function_version(self._r, name=name, qualifier=qualifier)

    def create_alias(self, name: str, alias: str, version: str, **fields: Any) -> dict[str, Any]:
        """CreateAlias: a new alias only (409 when it exists)."""
        return registry.create_alias(self._r, name=name, alias=alias, version=version, **fields)

    def update_alias(self, name: str, alias: str, **fields: Any) -> dict[str, Any]:
        """UpdateAlias: changes the given fields of an alias."""
        return registry.update_alias(self._r, name=name, alias=alias, **fields)

    def put_function_concurrency(self, name: str, reserved: int) -> int:
        """PutFunctionConcurrency: at most ``reserved`` invocations of ``name`` run at once."""
        return registry.put_function_concurrency(self._r, name=name, reserved=reserved)

    def get_function_concurrency(self, name: str) -> int | None:
        """The reserved concurrency of ``name``; ``None`` when it draws on the unreserved pool."""
        return registry.get_function_concurrency(self._r, name=name)

    def delete_function_concurrency(self, name: str) -> None:
        """DeleteFunctionConcurrency: the function draws on the unreserved pool again."""
        return registry.delete_function_concurrency(self._r, name=name)
