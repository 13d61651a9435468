"""LazyCron: timed hooks fired in a background thread, each event once however many processes."""
from __future__ import annotations

import json
import subprocess
import textwrap
import threading
import time

import pytest
from conftest import PYTHON

from cms.lazycron import EVENTS, LazyCron

T0 = 1_800_000_000.0      # a fixed "now" (epoch seconds), so the schedule is exact


@pytest.fixture
def lazycron(site):
    cron = LazyCron(site, signal_interval=0)
    yield cron
    cron.stop()


def record(site, events=EVENTS):
    fired = []
    for name in events:
        site.add_hook_after(f"LazyCron::{name}", lambda e, name=name: fired.append((name, e.arguments[0])))
    return fired


def wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_an_event_first_fires_one_interval_after_it_is_seen(site, lazycron):
    fired = record(site)

    assert lazycron.run_due(T0) == []
    assert lazycron.run_due(T0 + 29) == []
    assert lazycron.run_due(T0 + 31) == ["every_30_seconds"]
    assert fired == [("every_30_seconds", 31.0)]


def test_events_fire_at_their_intervals(site, lazycron):
    fired = record(site)
    lazycron.run_due(T0)

    assert lazycron.run_due(T0 + 3600) == ["every_30_seconds", "every_minute", "every_2_minutes",
                                           "every_3_minutes", "every_4_minutes", "every_5_minutes",
                                           "every_10_minutes", "every_15_minutes", "every_30_minutes",
                                           "every_45_minutes", "every_hour"]
    assert lazycron.run_due(T0 + 3600) == []
    assert lazycron.run_due(T0 + 3660) == ["every_30_seconds", "every_minute"]
    assert lazycron.run_due(T0 + 29 * 86400)[-1] == "every_4_weeks"
    assert len(fired) == 13 + 21


def test_a_handler_that_raises_does_not_stop_the_others(site, lazycron, caplog):
    fired = record(site, ["every_minute"])
    site.add_hook_after("LazyCron::every_30_seconds", lambda e: 1 / 0)
    lazycron.run_due(T0)

    assert lazycron.run_due(T0 + 60) == ["every_30_seconds", "every_minute"]
    assert fired == [("every_minute", 60.0)]
    assert "every_30_seconds" in caplog.text
    assert [site.leases.holder(f"lazycron:{name}") for name in ("every_30_seconds", "every_minute")
            ] == [None, None]                                   # both leases given back


def test_an_event_is_leased_while_its_handlers_run(site, lazycron):
    seen = []
    site.add_hook_after("LazyCron::every_hour", lambda e: seen.append(
        site.leases.holder("lazycron:every_hour")))
    lazycron.run_due(T0)
    lazycron.run_due(T0 + 3600)

    assert seen == [lazycron.owner]
    assert site.leases.holder("lazycron:every_hour") is None
    other = LazyCron(site)
    assert site.leases.take("lazycron:every_hour", "elsewhere", 60)
    assert "every_hour" not in other.run_due(T0 + 7200)     # held by another process
    site.db.execute("UPDATE leases SET until = 0 WHERE name = 'lazycron:every_hour'")
    assert "every_hour" in other.run_due(T0 + 7200)         # ... until its lease runs out


def test_the_background_thread_does_the_work_after_signal_returns(site, lazycron):
    started, release, finished = threading.Event(), threading.Event(), threading.Event()
    threads = []

    def slow_handler(event):
        threads.append(threading.current_thread().name)
        started.set()
        release.wait(10)
        finished.set()

    site.add_hook_after("LazyCron::every_30_seconds", slow_handler)
    lazycron.run_due()
    site.db.execute("UPDATE lazycron SET last_run = last_run - 31 WHERE name = 'every_30_seconds'")

    lazycron.signal()           # returns at once: the handler runs in the background

    assert started.wait(10) and not finished.is_set()
    release.set()
    assert finished.wait(10)
    assert threads == ["cms-lazycron"]
    lazycron.stop()
    assert not lazycron.running


def test_a_busy_server_skips_its_turn(site, lazycron):
    fired = record(site, ["every_30_seconds"])
    lazycron.run_due()
    site.db.execute("UPDATE lazycron SET last_run = last_run - 31 WHERE name = 'every_30_seconds'")
    lazycron.busy_check = lambda: True

    lazycron.signal()
    assert wait_for(lambda: lazycron.skipped == 1)
    assert fired == []

    lazycron.busy_check = lambda: False
    lazycron.signal()
    assert wait_for(lambda: len(fired) == 1)


def test_signals_are_rate_limited(site):
    cron = LazyCron(site, signal_interval=60)
    try:
        cron.signal()
        assert wait_for(lambda: cron.turns == 1)
        for _ in range(100):
            cron.signal()
        time.sleep(0.2)
        assert cron.turns == 1
    finally:
        cron.stop()


# Each round starts at the same wall-clock moment in both processes, and both try to fire the
# events due at that round's (simulated) time.
RACER = textwrap.dedent("""
    import json, os, sys, time
    import cms
    from cms.lazycron import EVENTS, LazyCron
    site = cms.boot()
    cron = LazyCron(site)
    fired = []
    for name in EVENTS:
        site.add_hook_after("LazyCron::" + name,
                            lambda e, name=name: fired.append((name, round(e.object.now))))
    start_at, slot, base, rounds = (float(a) for a in sys.argv[1:5])
    mine, other = sys.argv[5:7]
    for k in range(int(rounds) + 1):
        while time.time() < start_at + k * slot:
            time.sleep(0.0005)
        # lockstep: the other racer has run round k - 1 (a racer a round behind, under load,
        # would run a moment the other's clock has passed, which LazyCron rightly skips)
        while k and int(open(other).read() or -1) < k - 1:
            time.sleep(0.0005)
        cron.now = base + 31 * k
        cron.run_due(cron.now)
        with open(mine + ".new", "w") as done:
            done.write(str(k))
        os.replace(mine + ".new", mine)
    print(json.dumps(fired))
""")


@pytest.mark.slow
def test_two_processes_racing_fire_each_event_once(site, run_env, tmp_path):
    rounds, slot = 24, 0.25
    start_at = time.time() + 3
    marks = [tmp_path / "racer0", tmp_path / "racer1"]      # the round each racer has run
    for mark in marks:
        mark.write_text("-1")
    racers = [subprocess.Popen([PYTHON, "-c", RACER, str(start_at), str(slot), str(T0), str(rounds),
                                str(marks[i]), str(marks[1 - i])],
                               env=run_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for i in range(2)]
    results = []
    for racer in racers:
        out, err = racer.communicate(timeout=120)
        assert racer.returncode == 0, err
        results.append([tuple(x) for x in json.loads(out)])

    every = results[0] + results[1]
    assert len(every) == len(set(every)), "an event fired twice for the same moment"
    thirty = sorted(t for name, t in every if name == "every_30_seconds")
    assert thirty == [T0 + 31 * k for k in range(1, rounds + 1)]
    minutes = sorted(t for name, t in every if name == "every_minute")
    assert minutes == [T0 + 62 * k for k in range(1, rounds // 2 + 1)]
    assert results[0] and results[1], "both processes should have won some rounds"
