"""Time-driven jobs run by the clock process (`manage.py run_clock`).

Apps declare their periodic jobs here (in `AppConfig.ready`) with `every(seconds, task)`;
the clock enqueues each due job as a background task, and the worker runs it. Later
issues add jobs that need sub-second precision (auction closing) as direct clock
callbacks via `every(..., inline=True)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Job:
    name: str
    seconds: float
    target: Any  # a django_tasks Task (enqueued) or, when inline, a plain callable
    inline: bool = False


_jobs: dict[str, Job] = {}


def every(seconds: float, target: Any, *, name: str | None = None, inline: bool = False) -> None:
    job_name = name or getattr(target, "module_path", None) or f"{target.__module__}.{target.__qualname__}"
    _jobs[job_name] = Job(job_name, seconds, target, inline)


def jobs() -> list[Job]:
    return sorted(_jobs.values(), key=lambda j: j.name)


def run_job(job: Job) -> None:
    if job.inline:
        call: Callable[[], Any] = job.target
        call()
    else:
        job.target.enqueue()
