"""Named leases (cms/lease.py): take, renew, release, expiry, a race, and the row lock."""
from __future__ import annotations

import threading

import cms


def test_a_lease_is_held_by_one_owner_until_it_is_released(site):
    leases = site.leases
    assert leases.holder("job") is None
    assert leases.take("job", "a", 30)
    assert leases.holder("job") == "a"
    assert not leases.take("job", "b", 30)              # held by a
    assert leases.take("job", "a", 60)                  # a renews it
    assert not leases.release("job", "b")               # b never held it: nothing changes
    assert leases.holder("job") == "a"
    assert leases.release("job", "a") and leases.holder("job") is None
    assert leases.take("job", "b", 30) and leases.holder("job") == "b"


def test_a_lease_whose_time_ran_out_can_be_taken_by_another(site):
    leases = site.leases
    assert leases.take("job", "dead-process", 0.0)     # ends at once (database clock)
    site.db.execute("UPDATE leases SET until = until - 1 WHERE name = 'job'")
    assert leases.holder("job") is None
    assert leases.take("job", "b", 30) and leases.holder("job") == "b"
    assert not leases.release("job", "dead-process")    # it lost the lease: cannot end b's


def test_names_are_independent(site):
    leases = site.leases
    assert leases.take("one", "a", 30) and leases.take("two", "b", 30)
    assert (leases.holder("one"), leases.holder("two")) == ("a", "b")


def test_two_processes_racing_for_a_new_lease_get_exactly_one_win(site, db_url, tmp_path):
    """Two sites (each its own connection, as two processes) take a lease nobody used yet,
    at the same moment, twenty times over: each round exactly one of them wins."""
    other = cms.boot(db_url, site_dir=tmp_path)
    try:
        for round_ in range(20):
            name = f"race-{round_}"
            start, results = threading.Barrier(2), {}

            def take(who, booted):
                start.wait()
                results[who] = booted.db.retry(lambda: booted.leases.take(name, who, 30))
                booted.db.close()

            threads = [threading.Thread(target=take, args=(who, booted))
                       for who, booted in (("a", site), ("b", other))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            assert sorted(results.values()) == [False, True], results
            winner = "a" if results["a"] else "b"
            assert site.leases.holder(name) == winner
    finally:
        other.close()


def test_lock_holds_the_row_for_the_transaction_and_adds_it_on_first_use(site):
    with site.transaction():
        site.leases.lock("claims")
    assert site.db.scalar("SELECT COUNT(*) FROM leases WHERE name = 'claims'") == 1
    with site.transaction():
        site.leases.lock("claims")                       # the row exists: one read
    assert site.db.scalar("SELECT COUNT(*) FROM leases WHERE name = 'claims'") == 1
