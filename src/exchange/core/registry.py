"""The app registry: what each app of the project adds to the whole, declared on its AppConfig.

INSTALLED_APPS is the one list of the project's apps. An app whose AppConfig is an
`ExchangeAppConfig` declares there its pages (URL module), its API routers, the permissions
it grants to the staff roles, its demo data, its periodic jobs, its staff work queues and the
panels it adds to pages of other apps. The URLconf (`exchange/urls.py`), the API
(`exchange/api.py`), the role matrix (`accounts/roles.py`), demo seeding (`portal/demo.py`),
the clock (`core/schedule.py`), the staff dashboard (`core/work_queues.py`) and the pages with
panel slots (`{% panels %}`, `core/templatetags/panels.py`) read these declarations, app by
app in INSTALLED_APPS order. Declarations name code by dotted path: nothing of an app is
imported before it is used, so apps.py stays importable while Django loads the apps.

How to add an app: docs/development.md, "Adding an app".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import AppConfig, apps
from django.utils.module_loading import import_string

from exchange.core import schedule, work_queues

# Where an API router with no explicit place goes: after the routers already there.
LAST = 1000


@dataclass(frozen=True)
class ApiRouter:
    """A django-ninja router mounted at /api/v1<path>.

    `order` places it in the API (and so in the OpenAPI document): routers are mounted by
    `order`, then in INSTALLED_APPS order."""

    path: str  # "/trading"
    router: str  # dotted path of the Router: "exchange.trading.api.router"
    order: int = LAST


@dataclass(frozen=True)
class Demo:
    """The app's demo data: `seed()` returns what it created ({"projects": 3, ...}; 0s on a
    re-run). `after`: labels of the apps whose demo data it builds on (seeded first)."""

    seed: str  # dotted path of the seeding function
    after: tuple[str, ...] = ()


@dataclass(frozen=True)
class Every:
    """A periodic job: the clock enqueues the task every `seconds`."""

    seconds: float
    task: str  # dotted path of a django_tasks Task


@dataclass(frozen=True)
class Panel:
    """A box an app adds to a page of another app, at a named slot of that page.

    The page shows `{% panels "<slot>" %}`; each panel of the slot renders `template`, in
    `order` (then INSTALLED_APPS order). Without `context`, the template sees the page's
    context; with it, only what `context(page_context)` returns (plus `csrf_token`), like an
    inclusion tag."""

    slot: str  # "<page app label>.<place>", e.g. "listings.project_side"
    template: str
    context: str = ""  # dotted path of a function(page_context) -> dict
    order: int = 100


@dataclass(frozen=True)
class UploadRoute:
    """A route of the app that takes files: it may receive a body above the 1 MiB every other
    request gets (core.request_limits), for a logged-in session or a valid API token only.

    `pattern` is a regular expression matched against the whole path; `limit` names one of
    core.request_limits.LIMITS ("two_images", "document", "document_or_video", "material") or
    is the dotted path of the app's own function returning the limit in bytes."""

    pattern: str
    limit: str
    what: str  # for the docs and tests


class ExchangeAppConfig(AppConfig):
    """The AppConfig of every app of the project (see the module docstring).

    Subclasses that override `ready()` call `super().ready()`, which registers the app's
    periodic jobs and work queues."""

    urls: str = ""  # dotted path of the app's URL module ("" for none)
    url_prefix: str = ""  # where its URLs start: "" (site root) or "accounts/"
    api_routers: tuple[ApiRouter, ...] = ()
    role_grants: str = ""  # dotted path of a {role_key: (permission, ...)} dict
    demo: Demo | None = None
    schedules: tuple[Every, ...] = ()
    panels: tuple[Panel, ...] = ()
    upload_routes: tuple[UploadRoute, ...] = ()
    audit_codes: str = ""  # dotted path of a {code: label} mapping the audit trail shows in words

    def periodic_jobs(self) -> Iterable[Every]:
        """The app's periodic jobs; override when an interval comes from the app's settings."""
        return self.schedules

    def work_queues(self) -> Iterable[work_queues.WorkQueue]:
        """The staff work queues of the app (called once the models are loaded)."""
        return ()

    def ready(self) -> None:
        for job in self.periodic_jobs():
            schedule.every(job.seconds, import_string(job.task))
        for queue in self.work_queues():
            work_queues.register(queue)


def exchange_apps() -> list[ExchangeAppConfig]:
    """The project's apps, in INSTALLED_APPS order."""
    return [config for config in apps.get_app_configs() if isinstance(config, ExchangeAppConfig)]


def url_modules() -> list[tuple[str, str]]:
    """(prefix, URL module) of every app with pages."""
    return [(config.url_prefix, config.urls) for config in exchange_apps() if config.urls]


def api_routers() -> list[ApiRouter]:
    """Every app's API routers, in mounting order (`order`, then INSTALLED_APPS order)."""
    declared = [router for config in exchange_apps() for router in config.api_routers]
    return sorted(declared, key=lambda router: router.order)  # stable: ties keep app order


def role_grants() -> Iterator[tuple[str, dict[str, tuple[str, ...]]]]:
    """(app label, its {role key: permissions}) of every app that grants permissions."""
    for config in exchange_apps():
        if config.role_grants:
            yield config.label, import_string(config.role_grants)


def demo_seeders() -> list[tuple[str, Callable[[], dict[str, int]]]]:
    """(app label, seed function) of every app with demo data, each after the apps it
    builds on, otherwise in INSTALLED_APPS order."""
    declared = {config.label: config.demo for config in exchange_apps() if config.demo is not None}
    order: list[str] = []
    while len(order) < len(declared):
        waiting = [label for label in declared if label not in order]
        ready = [label for label in waiting if all(a in order or a not in declared for a in declared[label].after)]
        if not ready:
            raise LookupError(f"demo data: circular `after` between {waiting}")
        order.append(ready[0])
    return [(label, import_string(declared[label].seed)) for label in order]


def panels(slot: str) -> list[Panel]:
    """The panels of a slot, in `order`, then INSTALLED_APPS order."""
    declared = [panel for config in exchange_apps() for panel in config.panels if panel.slot == slot]
    return sorted(declared, key=lambda panel: panel.order)


def panel_context(panel: Panel, page_context: Any) -> dict[str, Any] | None:
    """What the panel's context function returns (None: the panel sees the page's context)."""
    return import_string(panel.context)(page_context) if panel.context else None


def upload_routes() -> list[UploadRoute]:
    """Every app's upload routes, in INSTALLED_APPS order."""
    return [route for config in exchange_apps() for route in config.upload_routes]


def audit_codes() -> dict[str, Any]:
    """Code → label of what the apps' `audit_codes` mappings name (the audit trail's words)."""
    out: dict[str, Any] = {}
    for config in exchange_apps():
        if config.audit_codes:
            out.update(import_string(config.audit_codes))
    return out
