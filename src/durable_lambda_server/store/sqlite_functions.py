"""Function registry rows on SQLite: functions, published versions, aliases.

Mixed into ``SqliteTransaction`` (store/sqlite.py).
"""

from __future__ import annotations

import sqlite3

from durable_lambda_server.store.base import (
    AliasRow,
    FunctionRow,
    NamedAliasRow,
    PublishedVersionRow,
    VersionRow,
)

__all__ = ["FunctionQueries"]

_MAX_INTEGER = 2**63  # SQLite INTEGER is a signed 64-bit value


class FunctionQueries:
    """Mixed into ``SqliteTransaction``: functions, published versions and aliases."""

    conn: sqlite3.Connection

    # -- functions ---------------------------------------------------------------------------
    def put_function(self, name: str, handler: str, config: str, now_ms: int) -> None:
        self.conn.execute(
            "INSERT INTO functions (name, handler, config, updated_ms) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET handler = excluded.handler, "
            "config = excluded.config, updated_ms = excluded.updated_ms",
            (name, handler, config, now_ms),
        )

    def get_function(self, name: str) -> FunctionRow | None:
        row = self.conn.execute(
            "SELECT name, handler, config FROM functions WHERE name = ?", (name,)
        ).fetchone()
        return FunctionRow(row[0], row[1], row[2]) if row else None

    def list_functions(self) -> list[FunctionRow]:
        rows = self.conn.execute("SELECT name, handler, config FROM functions ORDER BY name")
        return [FunctionRow(name, handler, config) for name, handler, config in rows]

    def get_reserved_concurrency(self, name: str) -> int | None:
        row = self.conn.execute(
            "SELECT reserved_concurrency FROM functions WHERE name = ?", (name,)
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def set_reserved_concurrency(self, name: str, value: int | None) -> bool:
        """Sets (``None``: removes) a function's reserved concurrency; False if no such function."""
        return (
            self.conn.execute(
                "UPDATE functions SET reserved_concurrency = ? WHERE name = ?", (value, name)
            ).rowcount
            > 0
        )

    def delete_function(self, name: str) -> bool:
        """Deletes the function with its versions and aliases (executions are kept)."""
        self.conn.execute("DELETE FROM aliases WHERE name = ?", (name,))
        self.conn.execute("DELETE FROM function_versions WHERE name = ?", (name,))
        return self.conn.execute("DELETE FROM functions WHERE name = ?", (name,)).rowcount > 0

    # -- versions and aliases ------------------------------------------------------------------
    def publish_version(
        self, name: str, handler: str, config: str, now_ms: int, version: int | None = None
    ) -> int:
        """Inserts version ``version`` (default: one past the highest); returns its number."""
        if version is None:
            row = self.conn.execute(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM function_versions WHERE name = ?",
                (name,),
            ).fetchone()
            version = int(row[0])
        self.conn.execute(
            "INSERT INTO function_versions (name, version, handler, config, created_ms) "
            "VALUES (?, ?, ?, ?, ?)",
            (name, version, handler, config, now_ms),
        )
        return version

    def get_version(self, name: str, version: int) -> VersionRow | None:
        if not 0 < version < _MAX_INTEGER:
            return None  # no such version (and beyond what SQLite can bind)
        row = self.conn.execute(
            "SELECT handler, config FROM function_versions WHERE name = ? AND version = ?",
            (name, version),
        ).fetchone()
        return VersionRow(row[0], row[1]) if row else None

    def delete_version(self, name: str, version: int) -> bool:
        return (
            self.conn.execute(
                "DELETE FROM function_versions WHERE name = ? AND version = ?", (name, version)
            ).rowcount
            > 0
        )

    def list_versions(self, name: str) -> list[PublishedVersionRow]:
        cur = self.conn.execute(
            "SELECT version, handler, config FROM function_versions "
            "WHERE name = ? ORDER BY version",
            (name,),
        )
        return [PublishedVersionRow(int(v), h, c) for v, h, c in cur]

    def put_alias(
        self, name: str, alias: str, version: str, routing: str, description: str
    ) -> None:
        self.conn.execute(
            "INSERT INTO aliases (name, alias, version, routing, description) "
            "VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version, "
            "routing = excluded.routing, description = excluded.description",
            (name, alias, version, routing, description),
        )

    def get_alias(self, name: str, alias: str) -> AliasRow | None:
        row = self.conn.execute(
            "SELECT version, routing, description FROM aliases WHERE name = ? AND alias = ?",
            (name, alias),
        ).fetchone()
        return AliasRow(row[0], row[1], row[2]) if row else None

    def delete_alias(self, name: str, alias: str) -> bool:
        return (
            self.conn.execute(
                "DELETE FROM aliases WHERE name = ? AND alias = ?", (name, alias)
            ).rowcount
            > 0
        )

    def list_aliases(self, name: str) -> list[NamedAliasRow]:
        cur = self.conn.execute(
            "SELECT alias, version, routing, description FROM aliases "
            "WHERE name = ? ORDER BY alias",
            (name,),
        )
        return [NamedAliasRow(a, v, r, d) for a, v, r, d in cur]
