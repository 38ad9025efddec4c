"""``check_update`` (typed updates from in-process callers) applies exactly the rules of
``parse_update`` on the wire form: the same update out, or the same error."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from durable_lambda.lambda_service import (
    CallbackOptions,
    ContextOptions,
    ErrorObject,
    OperationAction,
    OperationType,
    OperationUpdate,
    StepOptions,
    WaitOptions,
)
from durable_lambda_server.wire.errors import LambdaApiError
from durable_lambda_server.wire.parse import check_checkpoint, check_update, parse_update

_TEXT = st.one_of(
    st.none(),
    st.text(max_size=70),
    st.text(alphabet="ab-_9", min_size=250, max_size=260),
    st.sampled_from(["", "Step", "bad type!", "x" * 33, "\ud800", "é", "ok\udcff"]),
    st.integers(),
)
_OPTIONS = {
    "context_options": st.one_of(
        st.none(), st.builds(ContextOptions, st.one_of(st.booleans(), st.integers(0, 1)))
    ),
    "step_options": st.one_of(
        st.none(),
        st.builds(
            StepOptions, st.one_of(st.integers(-5, 40_000_000), st.booleans(), st.floats(0, 5))
        ),
    ),
    "wait_options": st.one_of(st.none(), st.builds(WaitOptions, st.integers(-1, 10))),
    "callback_options": st.one_of(
        st.none(), st.builds(CallbackOptions, st.integers(0, 5), st.integers(0, 5))
    ),
    "error": st.one_of(
        st.none(), st.builds(ErrorObject, st.one_of(st.none(), st.text(max_size=5)))
    ),
}


def _outcome(fn: Any, *args: Any) -> Any:
    try:
        return ("ok", fn(*args))
    except LambdaApiError as err:
        return ("error", type(err).__name__, str(err))


@settings(max_examples=400, deadline=None)
@given(
    op_id=st.one_of(
        st.text(min_size=0, max_size=66), st.sampled_from(["a" * 64, "a" * 65, "\ud800"])
    ),
    op_type=st.sampled_from(list(OperationType)),
    action=st.sampled_from(list(OperationAction)),
    parent_id=_TEXT,
    name=_TEXT,
    sub_type=_TEXT,
    payload=st.one_of(_TEXT, st.just("x" * 262_145), st.just("é" * 70_000)),
    options=st.fixed_dictionaries(_OPTIONS),
)
def test_typed_updates_follow_the_wire_rules(
    op_id: Any,
    op_type: Any,
    action: Any,
    parent_id: Any,
    name: Any,
    sub_type: Any,
    payload: Any,
    options: Any,
) -> None:
    update = OperationUpdate(
        operation_id=op_id,
        operation_type=op_type,
        action=action,
        parent_id=parent_id,
        name=name,
        sub_type=sub_type,
        payload=payload,
        **options,
    )
    try:
        wire = update.to_dict()
    except Exception:  # not representable on the wire at all: the typed check must reject it too
        assert _outcome(check_update, update, 0)[0] == "error"
        return
    assert _outcome(check_update, update, 0) == _outcome(parse_update, wire, 0)


_VARIANTS: dict[str, list[Any]] = {
    "operation_id": ["abc", "a" * 64, "a" * 65, "", "\ud800", "é", 5, None],
    "operation_type": [*list(OperationType), "STEP", None],
    "action": [*list(OperationAction), "START", None],
    "parent_id": [None, "p", "p" * 64, "p" * 65, "", "\ud800", "é", 7],
    "name": [None, "n", "n" * 256, "n" * 257, "", "\ud800", "é", 7, b"n"],
    "sub_type": [None, "Step", "Map_Iteration-1", "x" * 32, "x" * 33, "", "bad type", "é", 3],
    "payload": [
        None,
        "",
        "1",
        "x" * 262_144,
        "x" * 262_145,
        "é" * 65_536,
        "é" * 131_073,
        "\ud800",
        1,
    ],
    "error": [None, ErrorObject("m", "T"), ErrorObject(message="\ud800")],
    "context_options": [None, ContextOptions(True), ContextOptions(False), ContextOptions(1)],  # type: ignore[arg-type]
    "step_options": [
        None,
        StepOptions(0),
        StepOptions(31_622_400),
        StepOptions(31_622_401),
        StepOptions(-1),
        StepOptions(True),
        StepOptions(1.5),
    ],  # type: ignore[arg-type]
    "wait_options": [None, WaitOptions(5), WaitOptions(-1)],
    "callback_options": [None, CallbackOptions(1, 2)],
}


def test_each_field_variant_follows_the_wire_rules() -> None:
    """One field at a time off a valid update: every value either passes both ways unchanged
    or is rejected both ways with the same error."""
    base = {
        "operation_id": "abc",
        "operation_type": OperationType.STEP,
        "action": OperationAction.START,
    }
    checked = 0
    for field, values in _VARIANTS.items():
        for value in values:
            update = OperationUpdate(**{**base, field: value})
            try:
                wire = update.to_dict()
            except Exception:
                assert _outcome(check_update, update, 0)[0] == "error", (field, value)
                continue
            assert _outcome(check_update, update, 0) == _outcome(parse_update, wire, 0), (
                field,
                value,
            )
            checked += 1
    assert checked > 60


def test_plain_update_is_passed_through_and_others_are_rebuilt() -> None:
    plain = OperationUpdate(
        "abc", OperationType.STEP, OperationAction.SUCCEED, name="s1", sub_type="Step", payload="1"
    )
    assert check_update(plain, 0) is plain
    named = OperationUpdate("abc", OperationType.STEP, OperationAction.START, name="étape")
    checked = check_update(named, 0)
    assert checked == named and checked is not named


def test_checkpoint_envelope_rules() -> None:
    update = OperationUpdate("abc", OperationType.STEP, OperationAction.START)
    assert check_checkpoint("tok", [update])[1] == [update]
    for token, updates, client_token, message in (
        ("", [update], None, "CheckpointToken is required"),
        (None, [update], None, "CheckpointToken is required"),
        ("tok", [update] * 251, None, "at most 250 updates"),
        ("tok", "not a list", None, "Updates must be a list"),
        ("tok", [update], "x" * 65, "ClientToken must be a string"),
        ("tok", [{"Id": 5}], None, "Updates[0].Id must be a string"),
    ):
        outcome = _outcome(check_checkpoint, token, updates, client_token)
        assert outcome[0] == "error" and message in outcome[2], outcome
