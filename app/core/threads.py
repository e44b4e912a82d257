"""Work that must not run on gevent's event loop: CPU-heavy planning and starting processes.

Under the production server's gevent worker (`app.core.server`) every socket is a greenlet on one loop in one OS
thread, and `threading` is monkey-patched to greenlets. A route planned there would hold every walker's socket for
its whole duration, and spawning a process (a fork of a process holding the graph) stalls the loop. `in_real_thread`
runs such work in gevent's pool of real OS threads while the calling greenlet waits cooperatively; the interpreter
then switches between that thread and the loop every few milliseconds. Without gevent (the Flask test client, a
threaded server) it simply calls the function.
"""

from __future__ import annotations

import sys
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
    succeeded, value = gevent.get_hub().threadpool.apply(_outcome, (function, args, kwargs))
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
