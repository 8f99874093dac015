"""Time-driven jobs run by the clock process (`manage.py run_clock`).

Apps declare their periodic jobs here (in `AppConfig.ready`) with `every(seconds, task)`;
the clock enqueues each due job as a background task, and the worker runs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Job:
    name: str
    seconds: float
    task: Any  # a django_tasks Task


_jobs: dict[str, Job] = {}


def every(seconds: float, task: Any) -> None:
    _jobs[task.module_path] = Job(task.module_path, seconds, task)


def jobs() -> list[Job]:
    return sorted(_jobs.values(), key=lambda j: j.name)


def run_job(job: Job) -> None:
    job.task.enqueue()
