from collections.abc import Iterable

from exchange.core import registry
from exchange.core.registry import ApiRouter, Demo, Every, Panel
from exchange.core.work_queues import WorkQueue


class DummyConfig(registry.ExchangeAppConfig):
    name = "tests.dummy_app"
    label = "dummy_app"
    verbose_name = "演示应用"
    urls = "tests.dummy_app.urls"
    api_routers = (ApiRouter("/dummy-app", "tests.dummy_app.api.router"),)
    role_grants = "tests.dummy_app.role_grants.GRANTS"
    demo = Demo("tests.dummy_app.demo.seed", after=("listings",))
    schedules = (Every(120, "tests.dummy_app.tasks.tick"),)
    panels = (
        Panel("accounts.center_side", "dummy_app/center_card.html", context="tests.dummy_app.panels.center", order=25),
    )

    def work_queues(self) -> Iterable[WorkQueue]:
        from exchange.core.models import Heartbeat

        yield WorkQueue(
            key="dummy_app.beats",
            label="演示队列",
            permission="core.view_heartbeat",
            items=Heartbeat.objects.all,
            age_field="beat_at",
            url_name="dummy_app:index",
        )
