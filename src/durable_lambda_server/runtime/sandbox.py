"""What confines a worker process: its own API credential and (as root) an unprivileged uid.

``WorkerGrants`` mints one SigV4 access key per worker process. The key reaches the worker as
``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` (so boto3 clients cached across warm
invocations keep working) and is *bound* to the one execution the worker is running: the API
accepts it only for that execution's CheckpointDurableExecution and GetDurableExecutionState,
and for nothing at all while the worker is idle. The key dies with the worker.

``drop_privileges`` runs inside a freshly forked worker, after its log files are open and
before any user code is imported: it hands the worker its own log files, clears supplementary
groups, switches gid then uid, and sets ``no_new_privs``. The server's database and credential
files stay mode 0600 and owned by the server's user, so the worker cannot open them.
"""

from __future__ import annotations

import os
import secrets
import stat
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

__all__ = ["WorkerGrant", "WorkerGrants", "drop_privileges", "resolve_user", "unreachable_dir"]

KEY_PREFIX = "DLWK"  # worker keys never collide with an operator's AKIA.../ASIA... keys
_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_PR_SET_NO_NEW_PRIVS = 38


@dataclass
class WorkerGrant:
    """One worker's key: its secret and the execution it may call about right now."""

    secret: str
    execution_arn: str | None = None  # the execution the worker is running now, if any


class WorkerGrants:
    """The live worker keys of one server (in memory: a restart invalidates them all)."""

    def __init__(self) -> None:
        """Start with no keys: each worker mints its own when it is forked."""
        self._grants: dict[str, WorkerGrant] = {}
        self._lock = threading.Lock()

    def mint(self) -> tuple[str, str]:
        """A new ``(access key id, secret)``: 80 random bits of id, 240 of secret."""
        key_id = KEY_PREFIX + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))
        secret = secrets.token_urlsafe(30)
        with self._lock:
            self._grants[key_id] = WorkerGrant(secret)
        return key_id, secret

    def bind(self, key_id: str, execution_arn: str | None) -> None:
        """Let ``key_id`` call about ``execution_arn`` only, for the invocation about to run."""
        with self._lock:
            grant = self._grants.get(key_id)
            if grant is not None:
                grant.execution_arn = execution_arn

    def unbind(self, key_id: str) -> None:
        """Make ``key_id`` useless while its worker is idle (between invocations)."""
        self.bind(key_id, None)

    def revoke(self, key_id: str) -> None:
        """Forget ``key_id`` for good: its worker is gone."""
        with self._lock:
            self._grants.pop(key_id, None)

    def lookup(self, key_id: str) -> tuple[str, str | None] | None:
        """``(secret, bound execution ARN)`` of a live key, else None."""
        with self._lock:
            grant = self._grants.get(key_id)
            return None if grant is None else (grant.secret, grant.execution_arn)

    def __len__(self) -> int:
        """How many worker keys are live."""
        with self._lock:
            return len(self._grants)


def resolve_user(spec: str) -> tuple[int, int]:
    """``"nobody"``, ``"uid"`` or ``"uid:gid"`` -> ``(uid, gid)``; unknown users raise KeyError."""
    import pwd

    name, _, group = spec.partition(":")
    if name.isdigit():
        uid = int(name)
        try:
            default_gid = pwd.getpwuid(uid).pw_gid
        except KeyError:
            default_gid = uid
    else:
        entry = pwd.getpwnam(name)
        uid, default_gid = entry.pw_uid, entry.pw_gid
    if not group:
        return uid, default_gid
    if group.isdigit():
        return uid, int(group)
    import grp

    return uid, grp.getgrnam(group).gr_gid


def unreachable_dir(path: Path, uid: int, gid: int) -> Path | None:
    """The first directory on the way to ``path`` (inclusive) that ``uid``/``gid`` cannot search.

    Judged from the mode bits (ACLs are not consulted); None when every one is searchable.
    """
    current = Path(os.path.abspath(path))
    chain = [*reversed(current.parents), current]
    for directory in chain:
        try:
            info = directory.stat()
        except OSError:
            return directory
        if info.st_uid == uid:
            ok = info.st_mode & stat.S_IXUSR
        elif info.st_gid == gid:
            ok = info.st_mode & stat.S_IXGRP
        else:
            ok = info.st_mode & stat.S_IXOTH
        if not ok:
            return directory
    return None


def drop_privileges(uid: int, gid: int, own_files: list[str]) -> None:
    """Becomes ``uid``/``gid`` for good (call only as root, in the worker, before user code).

    ``own_files`` (the worker's log files, which live in root-owned directories, so they cannot
    be swapped for links) are handed to the new user first so it can keep appending to them.
    """
    for path in own_files:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            os.fchown(fd, uid, gid)
        finally:
            os.close(fd)
    _no_new_privs()
    _reroot_import_paths(uid, gid)
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid or os.getgid() != gid:
        raise RuntimeError("could not drop privileges")


def _reroot_import_paths(uid: int, gid: int) -> None:
    """Keep the Python installation importable when the new user cannot traverse to it.

    Say, pyenv under a 0700 ``/root``: every such ``sys.path`` directory is opened now, as root,
    and imported from through ``/proc/self/fd/N`` afterwards, which skips the ancestors'
    permission checks; the directory's own modes still apply. Already-imported packages'
    ``__path__`` are rewritten too, so their submodules stay importable. A no-op for a
    world-readable install.
    """
    moved: dict[str, str] = {}
    for entry in sys.path:
        if not entry or not os.path.isdir(entry) or unreachable_dir(Path(entry), uid, gid) is None:
            continue
        fd = os.open(entry, os.O_RDONLY | os.O_DIRECTORY)
        moved[os.path.abspath(entry)] = f"/proc/self/fd/{fd}"
    if not moved:
        return

    def reroot(path: str) -> str:
        for old, new in moved.items():
            if path == old or path.startswith(old + os.sep):
                return new + path[len(old) :]
        return path

    sys.path[:] = [reroot(entry) for entry in sys.path]
    sys.path_importer_cache.clear()
    for module in list(sys.modules.values()):
        paths = getattr(module, "__path__", None)
        if isinstance(paths, list):
            paths[:] = [reroot(p) for p in paths if isinstance(p, str)]


def _no_new_privs() -> None:
    """prctl(PR_SET_NO_NEW_PRIVS): setuid binaries cannot hand the worker privileges back."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux / no libc symbol: best effort
        pass
