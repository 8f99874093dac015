from typing import Any

from django.core.management.base import BaseCommand

from exchange.accounts import roles
from exchange.portal.demo import DEMO_PASSWORD, demo_accounts


class Command(BaseCommand):
    help = "Print the demo accounts and their password."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args: Any, url: str, **options: Any) -> None:
        out = self.stdout.write
        out("")
        out("=" * 78)
        out(f" 产权交易平台 running at {url}   back office: {url}admin/")
        out(f" Demo accounts — log in with phone or e-mail, password for all: {DEMO_PASSWORD}")
        out("-" * 78)
        for a in demo_accounts():
            role = "超级管理员" if a.role == "admin" else roles.ROLE_BY_KEY[a.role].name
            state = (
                {"verified": "已实名", "pending": "认证待审", "rejected": "认证被驳回", "": ""}[a.state]
                if a.role != "admin"
                else ""
            )
            out(f" {a.phone}  {a.email:<26} {role:<8} {a.name} {state}")
        out("=" * 78)
        out(" Ctrl-C stops the web server, the worker and the clock.")
        out("")
