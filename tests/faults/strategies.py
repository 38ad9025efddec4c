"""Hypothesis strategies for fault tests: checkpoint updates (valid-looking and not) and junk
values of every JSON type."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

TYPES = ["STEP", "WAIT", "CALLBACK", "CONTEXT", "CHAINED_INVOKE", "EXECUTION"]
ACTIONS = ["START", "SUCCEED", "FAIL", "RETRY", "CANCEL"]
IDS = ["a", "b", "c", "ctx", "ctx2", "w", "cb"]
BIG = 10**30

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
junk: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
# Strings the engine must reject or store verbatim: huge (bytes and characters), lone
# surrogates, control characters, non-ASCII.
odd_text = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "\ud800",
        "a\udfffb",
        "é" * 70_000,
        "x" * 262_145,
        "x" * 262_144,
        "\u2028",
        "日本",
    ]
) | st.text(max_size=12)
payloads = st.one_of(st.none(), st.just('"ok"'), st.just("{}"), odd_text, junk)
ints = st.one_of(
    st.integers(min_value=-5, max_value=120),
    st.sampled_from([0, 1, 31_622_400, 31_622_401, 2**63, BIG]),
    junk,
)


def _maybe(key: str, strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(st.just({}), strategy.map(lambda v: {key: v}))


error_objects = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "ErrorType": st.one_of(st.text(max_size=10), junk),
            "ErrorMessage": st.one_of(odd_text, junk),
            "ErrorData": st.one_of(st.text(max_size=10), junk),
            "StackTrace": st.one_of(st.lists(st.text(max_size=10), max_size=3), junk),
        },
    ),
    junk,
)


@st.composite
def updates(draw: st.DrawFn, execution_id: str) -> Any:
    """One OperationUpdate: mostly plausible, sometimes any JSON value at all."""
    if draw(st.integers(0, 30)) == 0:
        return draw(junk)
    ids = st.sampled_from([*IDS, execution_id])
    out: dict[str, Any] = {
        "Id": draw(st.one_of(ids, ids, ids, odd_text, junk)),
        "Type": draw(st.one_of(st.sampled_from(TYPES), st.sampled_from(TYPES), junk)),
        "Action": draw(st.one_of(st.sampled_from(ACTIONS), st.sampled_from(ACTIONS), junk)),
    }
    if out["Type"] == "STEP" and draw(st.booleans()):
        out["SubType"] = "Step"
    out.update(draw(_maybe("ParentId", st.one_of(ids, odd_text, junk))))
    out.update(draw(_maybe("Name", st.one_of(st.just("n"), odd_text, junk))))
    out.update(draw(_maybe("SubType", st.one_of(st.just("Step"), odd_text, junk))))
    out.update(draw(_maybe("Payload", payloads)))
    out.update(draw(_maybe("Error", error_objects)))
    out.update(
        draw(
            _maybe(
                "StepOptions",
                st.one_of(
                    st.fixed_dictionaries({}, optional={"NextAttemptDelaySeconds": ints}), junk
                ),
            )
        )
    )
    out.update(
        draw(
            _maybe(
                "WaitOptions",
                st.one_of(st.fixed_dictionaries({}, optional={"WaitSeconds": ints}), junk),
            )
        )
    )
    out.update(
        draw(
            _maybe(
                "CallbackOptions",
                st.one_of(
                    st.fixed_dictionaries(
                        {}, optional={"TimeoutSeconds": ints, "HeartbeatTimeoutSeconds": ints}
                    ),
                    junk,
                ),
            )
        )
    )
    out.update(
        draw(
            _maybe(
                "ContextOptions",
                st.one_of(st.fixed_dictionaries({}, optional={"ReplayChildren": junk}), junk),
            )
        )
    )
    out.update(
        draw(
            _maybe(
                "ChainedInvokeOptions",
                st.one_of(
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "FunctionName": st.one_of(
                                st.just("fn"), st.just("nope"), odd_text, junk
                            )
                        },
                    ),
                    junk,
                ),
            )
        )
    )
    return out
