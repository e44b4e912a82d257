"""Work that must not run on gevent's event loop: CPU-heavy planning and starting processes (`run_program`).

Under the production server's gevent worker (`app.core.server`) every socket is a greenlet on one loop in one OS
thread, and `threading` is monkey-patched to greenlets. A route planned there would hold every walker's socket for
its whole duration, and spawning a process (a fork of a process holding the graph) stalls the loop. `in_real_thread`
runs such work in gevent's pool of real OS threads while the calling greenlet waits cooperatively; the interpreter
then switches between that thread and the loop every few milliseconds. Without gevent (the Flask test client, a
threaded server) it simply calls the function.

Route planning goes through `in_planning_thread`: one real thread per process. Planning is pure Python and holds
the interpreter lock, so two planning threads plan no faster than one; they only take more of the loop's turns, and
under a burst of starts (gevent's shared pool has ten threads) the walkers' sockets would get a tenth of them.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

Result = TypeVar("Result")


def gevent_patched() -> bool:
    """Whether this process runs under gevent's monkey-patching (the gevent worker)."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and monkey.is_module_patched("threading")


def in_real_thread(function: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
    """`function(*args, **kwargs)`, in a real OS thread when under gevent (see the module); exceptions pass through.

    The function must not touch request context or gevent-only objects: give it plain values."""
    if not gevent_patched():
        return function(*args, **kwargs)
    import gevent

    # The exception comes back as a value: raised inside the pool, gevent would print its traceback to the error
    # log, for every route off the map.
    return _apply(gevent.get_hub().threadpool, function, args, kwargs)


_planning_pool: Any = None  # this process's planning thread, made on first use (after the fork: threads don't fork)


def in_planning_thread(function: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
    """`function(*args, **kwargs)` as `in_real_thread` does, in the process's one planning thread (see the module):
    plans queue for it instead of contending with each other and with the sockets."""
    global _planning_pool
    if not gevent_patched():
        return function(*args, **kwargs)
    if _planning_pool is None:
        from gevent.threadpool import ThreadPool

        _planning_pool = ThreadPool(1)
    return _apply(_planning_pool, function, args, kwargs)


def _apply(pool: Any, function: Callable[..., Result], args: tuple, kwargs: dict) -> Result:
    succeeded, value = pool.apply(_outcome, (function, args, kwargs))
    if not succeeded:
        raise value
    return value


def _outcome(function: Callable[..., Result], args: tuple, kwargs: dict) -> tuple[bool, Any]:
    """(True, the result) or (False, the exception) of a call."""
    try:
        return True, function(*args, **kwargs)
    except Exception as exc:
        return False, exc


def original(module: str, name: str) -> Any:
    """The standard library's own `module.name`, not gevent's replacement: what code in a real thread must call to
    block that thread rather than wait for a loop it does not run."""
    if gevent_patched():
        from gevent import monkey

        return monkey.get_original(module, name)
    return getattr(__import__(module), name)


def run_program(argv: list[str], timeout_s: float, errors_to: str = os.devnull) -> bytes | None:
    """A program's standard output, None when it fails, prints nothing or overruns `timeout_s` (then it is killed);
    its standard error goes to the file `errors_to`.

    Started with posix_spawn, which does not copy this process's page tables (the graph's hundreds of megabytes) as
    a fork does, and waited for with the standard library's blocking calls: the caller runs it in a real thread
    (`in_real_thread`), so a gevent server's loop goes on meanwhile."""
    spawn, select, waitpid = (original(module, name) for module, name in
                              (("os", "posix_spawnp"), ("select", "select"), ("os", "waitpid")))
    read_end, write_end = os.pipe()  # both close-on-exec; POSIX_SPAWN_DUP2 makes the child's stdout inheritable
    try:
        pid = spawn(argv[0], argv, os.environ, file_actions=[
            (os.POSIX_SPAWN_DUP2, write_end, 1),
            (os.POSIX_SPAWN_OPEN, 2, errors_to, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)])
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    os.close(write_end)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    with os.fdopen(read_end, "rb", buffering=0) as output:
        while (left := deadline - time.monotonic()) > 0 and select([output], [], [], left)[0]:
            chunk = output.read(65536)
            if not chunk:
                break
            chunks.append(chunk)
        else:
            os.kill(pid, signal.SIGKILL)
            chunks = []
    try:
        _, status = waitpid(pid, 0)
    except ChildProcessError:  # reaped by someone else's SIGCHLD handler: judge by the output alone
        status = 0
    data = b"".join(chunks)
    return data if os.waitstatus_to_exitcode(status) == 0 and data else None
