"""Work off gevent's loop (app.core.threads), in a fresh process patched as the gevent worker patches itself."""

import subprocess
import sys
import textwrap


def _under_gevent(code: str) -> str:
    program = "from gevent import monkey; monkey.patch_all()\n" + textwrap.dedent(code)
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip()


def test_plans_run_one_at_a_time_in_one_real_thread_while_the_loop_keeps_turning():
    out = _under_gevent("""
        import threading, time
        import gevent
        from app.core.threads import in_planning_thread, original

        real_ident = original("threading", "get_ident")
        busy = []

        def plan(seconds):
            busy.append(1)
            overlapping = len(busy)
            original("time", "sleep")(seconds)  # blocks the real thread, as CPU-bound planning would
            busy.pop()
            return real_ident(), overlapping

        ticks = []
        ticker = gevent.spawn(lambda: [ticks.append(gevent.sleep(0.01)) for _ in range(1000)])
        plans = [gevent.spawn(in_planning_thread, plan, 0.1) for _ in range(4)]
        gevent.joinall(plans)
        ticker.kill()
        results = [job.value for job in plans]
        print(len({ident for ident, _ in results}), max(n for _, n in results),
              all(ident != real_ident() for ident, _ in results), len(ticks) >= 20)
    """)
    threads, most_at_once, off_the_loop, loop_turned = out.split()
    assert (threads, most_at_once, off_the_loop, loop_turned) == ("1", "1", "True", "True")


def test_an_error_in_the_planning_thread_reaches_the_caller():
    out = _under_gevent("""
        from app.core.threads import in_planning_thread

        def fails():
            raise ValueError("off the map")

        try:
            in_planning_thread(fails)
        except ValueError as exc:
            print(exc)
    """)
    assert out == "off the map"
