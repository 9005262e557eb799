"""`ebsafety serve`: serve the platform with gunicorn and run the background worker beside it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve on HOST:PORT with gunicorn, with the background worker and scheduler (all stop on Ctrl-C)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
        parser.add_argument(
            "--no-worker", action="store_true", help="start neither the worker nor the scheduler"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        python = sys.executable
        processes = []
        if not options["no_worker"]:
            processes.append(subprocess.Popen([python, "-m", "ebsafety.cli", "worker"]))
            processes.append(subprocess.Popen([python, "-m", "ebsafety.cli", "scheduler"]))
        web = subprocess.Popen(
            [
                python,
                "-m",
                "gunicorn",
                "ebsafety.wsgi:application",
                "--bind",
                options["bind"],
                "--workers",
                str(options["workers"]),
                "--access-logfile",
                "-",
                "--no-control-socket",
                "--preload",  # import the project once, before forking: no slow first request per worker
                "--timeout",
                "120",
            ]
        )
        processes.append(web)
        self.stdout.write(f"ebsafety 正在 http://{options['bind']} 提供服务（Ctrl-C 停止）")

        def stop(*_: Any) -> None:
            for process in processes:
                if process.poll() is None:
                    process.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            web.wait()
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for process in processes:
                process.wait(timeout=30)
