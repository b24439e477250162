"""Named crash points for the crash-safety tests (the failpoint technique of FoundationDB, TiKV).

`failpoint("post.before_outbox_write")` does nothing unless `RETAIL_SYNC_FAILPOINT` names that
point; then the process kills itself with SIGKILL there, as a power cut or an OOM kill would: no
`finally`, no `atexit`, no flush. `RETAIL_SYNC_FAILPOINT=<name>@<n>` fires on the n-th time the
point is reached (1-based), so a crash can land between two journals of one run. Production never
sets the variable; the check is one dictionary lookup.
"""

from __future__ import annotations

import os
import signal
import threading

FAILPOINT_ENV = "RETAIL_SYNC_FAILPOINT"

_hits: dict[str, int] = {}
_lock = threading.Lock()


def _target() -> tuple[str, int] | None:
    spec = os.environ.get(FAILPOINT_ENV)
    if not spec:
        return None
    name, _, count = spec.partition("@")
    return name, int(count) if count.isdigit() and int(count) > 0 else 1


def failpoint(name: str) -> None:
    """Kill this process with SIGKILL if `RETAIL_SYNC_FAILPOINT` names `name` (and its count)."""
    target = _target()
    if target is None or target[0] != name:
        return
    with _lock:
        _hits[name] = _hits.get(name, 0) + 1
        hit = _hits[name]
    if hit == target[1]:
        os.kill(os.getpid(), signal.SIGKILL)
