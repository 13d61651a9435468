"""Runners: what runs task steps when nobody watches. All of them claim through `claim.py`.

- `cron.run_cron` — `python run.py cron`: steps until none is ready or the time limit is up.
- `worker.run_worker` — `python run.py worker`: a pool of N processes that keeps polling;
  `worker.WorkerProcess` starts one in the background and stops it.
- `lazy.LazyRunner` / `lazy.run_lazy_step` — one short step after a web response, at most one
  at a time per site.
- `supervisor.Supervisor` — cron and the worker run each step in a child process it watches:
  a step past its deadline plus a grace is killed and its task fails; a step whose process
  died is handed on at once.
- `browser.run_supervised_step` — the admin's Run now: one step in a child process watched
  like the supervisor's, so it ends by `ajax_timeout` plus a grace.
- `schedule.tick` — the reaper and the retention cleanup, at every runner tick.
- `cronexpr` — five-field cron expressions for recurring tasks (`every="*/5 * * * *"`).
"""
from .cron import run_cron
from .lazy import LazyRunner, after_response, run_lazy_step
from .worker import WorkerProcess, run_worker

__all__ = ["run_cron", "run_worker", "WorkerProcess", "LazyRunner", "run_lazy_step",
           "after_response"]
