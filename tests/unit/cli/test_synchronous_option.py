"""``--synchronous`` of ``run`` and ``serve`` reaches the SQLite store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from durable_lambda_server.cli.main import build_parser, main
from durable_lambda_server.runtime import Runtime

HANDLER = """
from durable_lambda import durable_execution


@durable_execution
def handler(event, context):
    return context.step(lambda _: 1, name="one")
"""


def test_run_opens_the_store_with_the_chosen_durability(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = tmp_path / "app.py"
    app.write_text(HANDLER)
    opened: list[str] = []
    original = Runtime.open.__func__  # type: ignore[attr-defined]

    def spy(cls: Any, *args: Any, **kwargs: Any) -> Any:
        runtime = original(cls, *args, **kwargs)
        opened.append(runtime.engine.store.synchronous)
        return runtime

    monkeypatch.setattr(Runtime, "open", classmethod(spy))
    code = main(
        [
            "--db",
            str(tmp_path / "state.db"),
            "run",
            f"{app}:handler",
            "--synchronous",
            "full",
            "--json",
        ]
    )
    assert code == 0
    assert opened == ["FULL"]


def test_serve_and_run_accept_normal_and_full_only() -> None:
    parser = build_parser()
    assert parser.parse_args(["serve"]).synchronous == "NORMAL"
    assert parser.parse_args(["serve", "--synchronous", "FULL"]).synchronous == "FULL"
    assert parser.parse_args(["run", "x.py:h"]).synchronous == "NORMAL"
    with pytest.raises(SystemExit):
        parser.parse_args(["run", "x.py:h", "--synchronous", "OFF"])
