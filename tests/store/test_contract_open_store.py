"""Store contract, the edges: ``open_store`` picks the backend from a URL (and refuses what it
cannot open, creating nothing), and the contract tests reach every method of every protocol."""

from __future__ import annotations

import inspect
import os
import re
from pathlib import Path

import pytest

from durable_lambda_server.store import Store, SupportsGroupCommit, Transaction, open_store
from tests.store.rows import execution_row


def _roundtrip(writer: Store, reader: Store) -> None:
    with writer.transaction() as tx:
        tx.insert_execution(execution_row("arn:a"))
    with reader.transaction(write=False) as tx:
        assert tx.get_execution("arn:a") is not None


def test_a_plain_path_and_a_sqlite_url_open_the_same_database(tmp_path: Path) -> None:
    path = tmp_path / "same.db"
    plain = open_store(str(path))
    url = open_store(f"sqlite:///{path}")
    upper = open_store(f"SQLite:///{path}")
    try:
        assert type(plain) is type(url) is type(upper)
        assert isinstance(url, SupportsGroupCommit)
        _roundtrip(plain, url)
        with upper.transaction(write=False) as tx:
            assert tx.get_execution("arn:a") is not None
    finally:
        for store in (plain, url, upper):
            store.close()


def test_a_sqlite_url_with_three_slashes_is_relative(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    relative = open_store("sqlite:///rel.db")
    absolute = open_store(f"sqlite:///{tmp_path / 'rel.db'}")  # sqlite:////tmp/...
    try:
        assert (tmp_path / "rel.db").exists()
        _roundtrip(relative, absolute)
    finally:
        relative.close()
        absolute.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://user@host/db", r"PostgreSQL store is not available yet \(issue 18\)"),
        ("postgres://host/db", r"PostgreSQL store is not available yet \(issue 18\)"),
        ("PostgreSQL://x", r"PostgreSQL store is not available yet \(issue 18\)"),
        ("mysql://host/db", r"unknown store URL scheme 'mysql'"),
        ("x://", r"unknown store URL scheme 'x'"),
        ("sqlite://", r"a SQLite URL is sqlite:///PATH"),
        ("sqlite:///", r"a SQLite URL is sqlite:///PATH"),
        ("sqlite://host/path.db", r"a SQLite URL is sqlite:///PATH"),
    ],
)
def test_an_url_the_store_cannot_open_is_refused_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=message):
        open_store(url)
    assert os.listdir(tmp_path) == []


# -- the contract suite covers the whole interface ------------------------------------------


def _methods(protocol: type) -> list[str]:
    return [
        name
        for name, value in vars(protocol).items()
        if not name.startswith("_") and inspect.isfunction(value)
    ]


def test_every_protocol_method_is_exercised_by_the_contract_tests() -> None:
    """A method added to a role protocol (or a new role) needs a contract test before a second
    backend can be trusted to implement it."""
    roles = [base for base in Transaction.__bases__ if base.__name__ != "Protocol"]
    assert len(roles) >= 8
    source = "\n".join(
        path.read_text() for path in sorted(Path(__file__).parent.glob("test_contract_*.py"))
    )
    called = set(re.findall(r"\.(\w+)\(", source))
    wanted = {
        f"{protocol.__name__}.{name}"
        for protocol in (*roles, Store, SupportsGroupCommit)
        for name in _methods(protocol)
    }
    assert len(wanted) >= 45
    assert sorted(w for w in wanted if w.split(".")[1] not in called) == []
