"""The map/parallel fast path (docs/decisions/0006-map-fast-path.md): elastic branch runners,
the skipped serdes round trip, the faster envelope encoder and the lazily built context logger
must be indistinguishable from what they replace."""

from __future__ import annotations

import base64
import datetime
import enum
import json
import threading
import time
import uuid
from decimal import Decimal
from typing import Any

import pytest
from _sdk_fakes import FakeBackend

from durable_lambda._sdk.blocking import about_to_block
from durable_lambda._sdk.operations.runners import BranchRunners
from durable_lambda._sdk.roundtrip import round_trip_is_identity
from durable_lambda._sdk.state import ExecutionState
from durable_lambda.concurrency.models import BatchItem, BatchResult, CompletionReason
from durable_lambda.config import BatchItemStatus, MapConfig, ParallelConfig
from durable_lambda.context import DurableContext
from durable_lambda.execution import durable_execution
from durable_lambda.lambda_service import ErrorObject
from durable_lambda.logger import Logger
from durable_lambda.serdes import (
    EXTENDED_TYPES_SERDES,
    ExtendedTypeSerDes,
    JsonSerDes,
    SerDesContext,
    SerDesError,
)


class _Color(enum.IntEnum):
    RED = 1


class _Label(str, enum.Enum):
    A = "a"


class _Tuple(tuple):  # a subclass must take the isinstance chain
    pass


def _reference_encode(value: Any) -> Any:
    """The envelope encoder before decision 0006, kept verbatim as the oracle."""
    if value is None:
        return {"t": "n", "v": None}
    scalars: tuple[tuple[Any, str, Any], ...] = (
        (str, "s", lambda v: v),
        (bool, "b", lambda v: v),
        (int, "i", lambda v: v),
        (float, "f", lambda v: v),
        ((bytes, bytearray, memoryview), "B", lambda v: base64.b64encode(bytes(v)).decode("ascii")),
        (uuid.UUID, "u", str),
        (Decimal, "d", str),
        (datetime.datetime, "dt", lambda v: v.isoformat()),
        (datetime.date, "D", lambda v: v.isoformat()),
    )
    for types, tag, encode in scalars:
        if isinstance(value, types):
            return {"t": tag, "v": encode(value)}
    if isinstance(value, tuple):
        return {"t": "t", "v": [_reference_encode(item) for item in value]}
    if isinstance(value, list):
        return {"t": "l", "v": [_reference_encode(item) for item in value]}
    if isinstance(value, dict):
        return {"t": "m", "v": {key: _reference_encode(item) for key, item in value.items()}}
    if isinstance(value, BatchResult):
        return {"t": "br", "v": _reference_encode(value.to_dict())}
    raise SerDesError(f"Unsupported type: {type(value)}")


def _batch(*results: Any, error: ErrorObject | None = None) -> BatchResult[Any]:
    items = [BatchItem(i, BatchItemStatus.SUCCEEDED, r) for i, r in enumerate(results)]
    if error is not None:
        items.append(BatchItem(len(items), BatchItemStatus.FAILED, error=error))
    items.append(BatchItem(len(items), BatchItemStatus.STARTED))
    return BatchResult(items, CompletionReason.MIN_SUCCESSFUL_REACHED)


CORPUS: list[Any] = [
    {"a": (1, 2.5), 3: [None, True, "\ud800é"]},
    (_Color.RED, _Label.A, _Tuple((1,))),
    [b"x", bytearray(b"y"), uuid.UUID(int=7), Decimal("1.25")],
    # A naive datetime on purpose.
    {"when": datetime.datetime(2024, 1, 2, 3, 4, 5), "day": datetime.date(2024, 1, 2)},  # noqa: DTZ001
    _batch(
        1, "two", None, 4.5, [1, {"k": (2,)}], error=ErrorObject("boom", "ValueError", None, ["t"])
    ),
    _batch(_Color.RED, {"nested": _batch(1)}),
    [float("inf"), -0.0, 10**30],
]


@pytest.mark.parametrize("value", CORPUS, ids=range(len(CORPUS)))
def test_envelope_encoding_is_byte_identical_to_the_reference(value: Any) -> None:
    serialized = EXTENDED_TYPES_SERDES.serialize(value, SerDesContext())
    plain = ExtendedTypeSerDes.is_primitive(value)
    expected = json.dumps(value if plain else _reference_encode(value), separators=(",", ":"))
    assert serialized == expected


ACCEPTED: list[Any] = [
    None,
    True,
    0,
    -(10**40),
    1.5,
    float("-inf"),
    "",
    "\ud800x",
    _batch(1, "a", None, 2.5),
]
REFUSED: list[Any] = [
    [1, 2],
    _Color.RED,
    _Label.A,
    (1,),
    {"a": 1},
    _batch([1]),
    _batch(_Color.RED),
    _batch(1, error=ErrorObject("m", "T")),
]


@pytest.mark.parametrize("value", ACCEPTED, ids=range(len(ACCEPTED)))
def test_accepted_values_survive_the_round_trip_unchanged(value: Any) -> None:
    for serdes in (None, EXTENDED_TYPES_SERDES):
        assert round_trip_is_identity(serdes, value)
    back = EXTENDED_TYPES_SERDES.deserialize(
        EXTENDED_TYPES_SERDES.serialize(value, SerDesContext()), SerDesContext()
    )
    assert type(back) is type(value)
    assert back == value or (value != value and back != back)  # noqa: PLR0124  (NaN)


@pytest.mark.parametrize("value", REFUSED, ids=range(len(REFUSED)))
def test_other_values_keep_the_round_trip(value: Any) -> None:
    assert not round_trip_is_identity(None, value)


def test_custom_serdes_always_keeps_the_round_trip() -> None:
    assert not round_trip_is_identity(JsonSerDes(), 1)
    assert not round_trip_is_identity(ExtendedTypeSerDes(), 1)


def test_store_encoder_matches_json_dumps() -> None:
    from durable_lambda_server.store.sqlite_rows import dumps_compact as _dumps_compact

    for value in ({"a": [1, 2.5, None, True, "é\ud800"], "b": {}}, {"n": float("nan")}, {}):
        assert _dumps_compact(value) == json.dumps(value, separators=(",", ":"))


# ---------------------------------------------------------------------------------- runners


def _runners(run: Any, cap: int = 8) -> BranchRunners[Any, Any]:
    return BranchRunners(run, lambda branch, err: ("crash", branch, err), cap)


def _take(runners: BranchRunners[Any, Any], count: int) -> list[Any]:
    """The next ``count`` outcomes (``next_events`` hands over all reported ones at once)."""
    out: list[Any] = []
    while len(out) < count:
        out.extend(runners.next_events())
    assert len(out) == count
    return out


def test_runners_overlap_branches_that_block_in_user_code() -> None:
    barrier = threading.Barrier(4, timeout=5)

    def run(branch: int) -> int:
        barrier.wait()  # only passes if all four run at once (stall detection adds runners)
        return branch

    runners = _runners(run)
    runners.submit([0, 1, 2, 3])
    assert sorted(_take(runners, 4)) == [0, 1, 2, 3]
    runners.join()


def test_runners_hand_pending_branches_on_when_one_is_about_to_block() -> None:
    release = threading.Event()
    started: list[int] = []

    def run(branch: int) -> int:
        started.append(branch)
        if branch == 0:
            about_to_block()
            release.wait(5)
        return branch

    runners = _runners(run)
    runners.submit([0, 1])
    assert _take(runners, 1) == [1]  # ran on a second runner while branch 0 waited
    release.set()
    assert _take(runners, 1) == [0]
    runners.join()


def test_runners_respect_the_cap_and_run_in_submission_order() -> None:
    active = 0
    peak = 0
    order: list[int] = []
    lock = threading.Lock()

    def run(branch: int) -> int:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
            order.append(branch)
        time.sleep(0.01)
        with lock:
            active -= 1
        return branch

    runners = _runners(run, cap=2)
    runners.submit(list(range(6)))
    assert sorted(_take(runners, 6)) == list(range(6))
    runners.join()
    assert peak <= 2
    assert order[:2] == [0, 1] or order[:2] == [1, 0]
    assert sorted(order) == list(range(6))


def test_closed_runners_drop_pending_branches_and_join_running_ones() -> None:
    gate = threading.Event()
    ran: list[int] = []

    def run(branch: int) -> int:
        ran.append(branch)
        gate.wait(5)
        return branch

    runners = _runners(run, cap=1)
    runners.submit([0, 1])
    time.sleep(0.05)
    runners.close()
    runners.submit([2])
    gate.set()
    runners.join()
    assert ran == [0]


def test_a_crashing_branch_is_reported() -> None:
    def run(branch: int) -> int:
        raise KeyboardInterrupt

    runners = _runners(run)
    runners.submit([7])
    [(kind, branch, err)] = _take(runners, 1)
    runners.join()
    assert (kind, branch, type(err)) == ("crash", 7, KeyboardInterrupt)


def test_outcomes_reported_meanwhile_are_handed_over_together_in_completion_order() -> None:
    gate = threading.Event()

    def run(branch: int) -> int:
        if branch == 0:
            gate.wait(5)
        return branch

    runners = _runners(run, cap=1)
    runners.submit([0, 1, 2, 3])
    gate.set()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(runners._events) < 4:  # all four reported
        time.sleep(0.01)
    assert runners.next_events() == [0, 1, 2, 3]
    runners.join()


def test_map_branches_blocking_in_steps_still_run_concurrently() -> None:
    barrier = threading.Barrier(3, timeout=5)

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def item(ctx: DurableContext, value: int, index: int, items: Any) -> int:
            return ctx.step(lambda _: barrier.wait() * 0 + value, name=f"s{index}")

        return context.map([1, 2, 3], item, config=MapConfig(max_concurrency=3)).get_results()

    assert FakeBackend().run(handler) == {"Status": "SUCCEEDED", "Result": "[1, 2, 3]"}


def test_parallel_results_are_fresh_values_equal_to_the_round_trip() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        batch = context.parallel(
            [lambda ctx: [1, 2], lambda ctx: (3,), lambda ctx: "x"],
            config=ParallelConfig(max_concurrency=1),
        )
        return [type(r).__name__ for r in batch.get_results()]

    output = FakeBackend().run(handler)
    assert json.loads(output["Result"]) == ["list", "tuple", "str"]


# ---------------------------------------------------------------------------------- logger


def test_child_logger_is_built_lazily_from_the_parent_base() -> None:
    state = ExecutionState("arn:x", "token")
    root = DurableContext(state)
    child = root.create_child_context("op-1")
    assert child._logger_obj is None
    logger = child.logger
    assert type(logger) is Logger
    assert logger.default_extra == {"executionArn": "arn:x", "parentId": "op-1"}
    assert logger.base_logger is root.logger.base_logger


def test_set_logger_before_creating_a_child_reaches_the_child_only_then() -> None:
    import logging

    state = ExecutionState("arn:x", "token")
    root = DurableContext(state)
    early = root.create_child_context("op-1")
    custom = logging.getLogger("custom-fast-path")
    root.set_logger(custom)
    late = root.create_child_context("op-2")
    assert late.logger.base_logger is custom
    assert early.logger.base_logger is logging.getLogger()
