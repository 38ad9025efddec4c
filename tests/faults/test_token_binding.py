"""Checkpoint tokens and callback ids are unguessable (>= 128 random bits) and bound to their own
execution: one execution's token or callback id never reads or changes another execution."""

from __future__ import annotations

import base64
import math

import pytest

from durable_lambda_server.engine.ids import IdSource
from durable_lambda_server.wire.errors import (
    INVALID_CHECKPOINT_TOKEN,
    InvalidParameterValueException,
)
from tests.faults.conftest import Rig


def step(op_id: str, action: str, **extra: object) -> dict[str, object]:
    return {"Id": op_id, "Type": "STEP", "SubType": "Step", "Action": action, **extra}


@pytest.mark.parametrize("kind", ["token", "callback_id"])
def test_ids_carry_at_least_128_random_bits(kind: str) -> None:
    make = getattr(IdSource(), kind)
    samples = {make() for _ in range(2000)}
    assert len(samples) == 2000
    for sample in list(samples)[:50]:
        raw = base64.urlsafe_b64decode(sample + "=" * (-len(sample) % 4))
        assert len(raw) * 8 >= 128
    # Every position of the encoding varies: the bits are not padding or a counter.
    length = len(next(iter(samples)))
    for position in range(length):
        assert len({s[position] for s in samples}) > 16, position
    assert math.log2(64) * length >= 128


def open_callback(rig: Rig) -> tuple[str, str, str]:
    """An execution holding a live invocation with one open callback: (arn, token, callback id)."""
    arn = rig.start()
    ticket = rig.claim(arn)
    update = {"Id": "cb", "Type": "CALLBACK", "Action": "START", "Name": "approval"}
    resp = rig.checkpoint(arn, ticket.event["CheckpointToken"], update)
    callback_id = resp["NewExecutionState"]["Operations"][-1]["CallbackDetails"]["CallbackId"]
    return arn, resp["CheckpointToken"], callback_id


def test_a_checkpoint_token_works_only_on_its_own_execution(rig: Rig) -> None:
    arn_a, token_a, _ = open_callback(rig)
    arn_b, token_b, _ = open_callback(rig)
    before = rig.snapshot()
    with pytest.raises(InvalidParameterValueException, match=INVALID_CHECKPOINT_TOKEN):
        rig.checkpoint(arn_b, token_a, step("s", "START"))
    with pytest.raises(InvalidParameterValueException, match=INVALID_CHECKPOINT_TOKEN):
        rig.engine.get_execution_state(arn_b, token_a)
    with pytest.raises(InvalidParameterValueException, match=INVALID_CHECKPOINT_TOKEN):
        rig.checkpoint(arn_a, token_b, step("s", "START"))
    assert rig.snapshot() == before  # nothing changed anywhere
    # Each token still works where it belongs.
    assert rig.engine.get_execution_state(arn_a, token_a)["Operations"]
    rig.checkpoint(arn_b, token_b, step("s", "START"))


def test_a_callback_id_completes_only_its_own_execution(rig: Rig) -> None:
    arn_a, _, callback_a = open_callback(rig)
    arn_b, _, callback_b = open_callback(rig)
    assert callback_a != callback_b
    rig.engine.send_callback_success(callback_a, b'"for a"')
    assert "CallbackSucceeded" in rig.types(arn_a)
    assert "CallbackSucceeded" not in rig.types(arn_b)
    with pytest.raises(InvalidParameterValueException):
        rig.engine.send_callback_success(
            callback_a[:-2] + ("AA" if not callback_a.endswith("AA") else "BB"), b"1"
        )
    rig.engine.send_callback_failure(callback_b, {"ErrorType": "No", "ErrorMessage": "b"})
    assert "CallbackFailed" in rig.types(arn_b) and "CallbackFailed" not in rig.types(arn_a)
