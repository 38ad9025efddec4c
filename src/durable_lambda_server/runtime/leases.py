"""Lease owners that can be proven dead: ``<host>:<pid>:<nonce>:<mode>``.

A dispatcher records its owner id in every lease it takes. When a runtime starts on a database
whose leases are still live (the previous server was killed mid-invocation), it may expire at
once only the leases it can *prove* orphaned: same host (hostname and PID namespace), and the
owner's process no longer exists (or is a zombie, which runs no code). Anything else (another
host, an unparseable owner, a live PID, even one reused by an unrelated process) is left to
expire on its own; fencing by lease and checkpoint token keeps a wrongly presumed-dead owner
harmless either way, so the proof only decides how fast recovery is, never whether it is safe.

``mode`` says where the owner ran handlers: ``w`` only in worker processes (``serve``), so its
death was the service's failure and the lost attempts are not charged to the execution's retry
budget; ``i`` possibly in its own process (thread invoker), where a handler may have killed it,
so each lost attempt counts (a handler that crashes its runtime on every attempt must end).
"""

from __future__ import annotations

import os
import socket
import uuid

__all__ = ["host_key", "new_owner_id", "owner_is_provably_dead", "owner_isolated_handlers"]

_OWNER_ID_PARTS = 4  # host:pid:random:mode, as new_owner_id writes it


def host_key() -> str:
    """This host as lease owners name it: hostname plus PID-namespace id (no ``:`` in it)."""
    try:
        namespace = os.readlink("/proc/self/ns/pid").replace(":", "")
    except OSError:
        namespace = "-"
    return f"{socket.gethostname().replace(':', '_')}#{namespace}"


def new_owner_id(*, isolated_handlers: bool = False) -> str:
    """A fresh owner id for a dispatcher's leases, naming this host and process.

    ``isolated_handlers`` marks an owner that runs handlers only in worker processes (mode ``w``).
    """
    mode = "w" if isolated_handlers else "i"
    return f"{host_key()}:{os.getpid()}:{uuid.uuid4().hex[:12]}:{mode}"


def owner_isolated_handlers(owner: str) -> bool:
    """True if ``owner`` ran handlers only in worker processes (none could have killed it)."""
    parts = owner.split(":")
    return len(parts) == _OWNER_ID_PARTS and parts[3] == "w"


def _process_gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except FileNotFoundError:
        return True
    except OSError:
        return False  # cannot tell: not proven
    # state is the first field after the parenthesised command name
    state = stat[stat.rfind(b")") + 2 : stat.rfind(b")") + 3]
    return state in (b"Z", b"X")


def owner_is_provably_dead(owner: str) -> bool:
    """True only if ``owner`` ran on this host and its process no longer exists (or is a zombie).

    False whenever that cannot be proven, so its leases are left to expire on their own.
    """
    parts = owner.split(":")
    if len(parts) not in (3, 4) or not parts[1].isdigit():
        return False
    host, pid = parts[0], int(parts[1])
    if host != host_key() or pid == os.getpid() or pid <= 1:
        return False  # another host, or this very process (another runtime may live in it)
    if not os.path.isdir("/proc/self"):
        return False  # no procfs: no proof
    return _process_gone(pid)
