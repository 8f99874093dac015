"""Chinese names for third-party apps shown in the back office (their own are English-only).

Listed in INSTALLED_APPS instead of the packages' default AppConfigs; labels and behaviour
are unchanged.
"""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


class AxesConfig(AxesAppConfig):
    verbose_name = _("登录保护")


class TasksDatabaseConfig(TasksAppConfig):
    verbose_name = _("后台任务")  # type: ignore[assignment]  # a lazy string, as Django allows
