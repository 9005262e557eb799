"""`ebsafety demo [--seed N] [--scale town|district] [--if-empty]`: build the demo town."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from ebsafety.core.demo import DEMO_PASSWORD, build_demo
from ebsafety.core.management.base import ScopedCommand
from ebsafety.core.models import Unit


class Command(ScopedCommand):
    help = "Build a realistic synthetic town (the same for the same seed) into an empty database."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--scale", choices=["town", "district"], default="town")
        parser.add_argument("--if-empty", action="store_true", help="do nothing (exit 0) when data exists")

    def handle(self, *args: Any, **options: Any) -> None:
        if Unit.objects.exists():
            if options["if_empty"]:
                self.stdout.write("数据库中已有数据，跳过示范数据。")
                return
            raise CommandError("数据库中已有单位数据：示范数据只能载入空数据库（或使用 --if-empty）。")
        result = build_demo(seed=options["seed"], scale=options["scale"])
        self.stdout.write(f"已生成示范数据：{result.units} 个单位，{result.departments} 个部门。")
        self.stdout.write(f"示范账号（密码均为 {DEMO_PASSWORD}）：")
        for username, role, where in result.users:
            self.stdout.write(f"  {username:<10} {role} · {where}")
