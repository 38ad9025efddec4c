"""The completion policy of map/parallel batches (sdk-spec.md §15.4).

Kept apart from the coordinator in ``concurrency.py`` that applies it after every branch event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from durable_lambda.concurrency.models import CompletionReason
from durable_lambda.config import CompletionConfig

__all__ = ["decide_completion"]


def decide_completion(  # noqa: PLR0911  (one return per §15.4 rule, in spec order)
    completion: CompletionConfig,
    succeeded: int,
    failed: int,
    total: int,
    statuses: Callable[[], list[tuple[int, str | None, Any]]],
) -> CompletionReason | None:
    """Applies the completion policy of §15.4; ``None`` while the batch should go on.

    ``statuses`` is only evaluated for a custom ``should_complete`` predicate (it is O(number of
    branches)).
    """
    done = succeeded + failed >= total
    if completion.should_complete is not None:
        from durable_lambda.config import CompletionItemStatus, CompletionOutcome, CompletionStatus

        status = CompletionStatus(
            success_count=succeeded,
            failure_count=failed,
            completed_count=succeeded + failed,
            total_count=total,
            items=tuple(CompletionItemStatus(index=i, name=n, status=s) for i, n, s in statuses()),
        )
        decision = completion.should_complete(status)
        if decision.complete:
            if decision.outcome is CompletionOutcome.FAILED:
                return CompletionReason.CUSTOM_COMPLETION_FAILED
            return CompletionReason.CUSTOM_COMPLETION_SUCCEEDED
        return CompletionReason.ALL_COMPLETED if done else None
    if _tolerance_exceeded(completion, failed, total):
        return CompletionReason.FAILURE_TOLERANCE_EXCEEDED
    if done:
        return CompletionReason.ALL_COMPLETED
    if completion.min_successful is not None and succeeded >= completion.min_successful:
        return CompletionReason.MIN_SUCCESSFUL_REACHED
    return None


def _tolerance_exceeded(completion: CompletionConfig, failed: int, total: int) -> bool:
    count = completion.tolerated_failure_count
    percentage = completion.tolerated_failure_percentage
    if completion.min_successful is None and count is None and percentage is None:
        return failed > 0  # fail-fast default (§15.4)
    if count is not None and failed > count:
        return True
    return percentage is not None and total > 0 and failed / total * 100 > percentage
