"""``durable-lambda serve`` with a chosen SQLite durability, for servers whose ``serve`` has no
``--synchronous`` option yet: sets the default of ``Runtime.open(synchronous=...)`` and then runs
the real ``serve`` command unchanged.

    python -m benchmarks.serve_with FULL serve --port 9000 --db state.db
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    synchronous, rest = argv[0].upper(), argv[1:]
    from durable_lambda.cli.main import main as cli_main
    from durable_lambda.runtime import Runtime

    original = Runtime.open.__func__  # type: ignore[attr-defined]

    def open_with(cls, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("synchronous", synchronous)
        return original(cls, *args, **kwargs)

    Runtime.open = classmethod(open_with)  # type: ignore[method-assign,assignment]
    result = cli_main(rest)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
