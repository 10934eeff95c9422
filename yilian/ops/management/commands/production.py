"""``yilian production``: Yilian for production on one Linux host, or one role of a multi-machine setup.

Needs YILIAN_ENV=production, YILIAN_SECRET_KEY, DATABASE_URL (PostgreSQL) and YILIAN_REDIS_URL (the
job queue shared by every machine). Prepares the database and static files, then runs gunicorn
(several web workers, static files through WhiteNoise) and several job-worker processes, restarting
a job worker that dies. ``--role web`` or ``--role worker`` runs one half, for machines with one job.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection


class Command(BaseCommand):
    help = "Run Yilian for production: gunicorn web workers and Redis-backed job workers."

    def add_arguments(self, parser):
        parser.add_argument("--role", choices=["all", "web", "worker"], default="all")
        parser.add_argument("--bind", default=os.environ.get("YILIAN_BIND", "127.0.0.1:8000"))
        parser.add_argument("--web-workers", type=int, default=None, help="gunicorn workers (default 2 × cores + 1)")
        parser.add_argument("--job-workers", type=int, default=int(os.environ.get("YILIAN_JOB_PROCESSES", "2")),
                            help="job-worker processes on this machine (default 2)")
        parser.add_argument("--skip-prepare", action="store_true", help="do not migrate or collect static files")
        parser.add_argument("--allow-sqlite", action="store_true",
                            help="accept SQLite and the SQLite queue (a single small host only)")

    def handle(self, *args, role, bind, web_workers, job_workers, skip_prepare, allow_sqlite, **options):
        self._refuse_unsafe_setup(allow_sqlite)
        if not skip_prepare and role in ("all", "web"):
            self.stdout.write("Preparing: migrate, collectstatic …")
            call_command("migrate", interactive=False, verbosity=0)
            call_command("collectstatic", interactive=False, verbosity=0)
        env = self._child_env()
        children = {}
        if role in ("all", "web"):
            children["web"] = self._start_web(env, bind, web_workers)
        for n in range(job_workers if role in ("all", "worker") else 0):
            children[f"worker-{n}"] = self._start_worker(env)
        self.stdout.write(f"Yilian is running ({', '.join(children)}); web on http://{bind}/ — Ctrl-C stops it.")
        self._supervise(children, env)

    def _refuse_unsafe_setup(self, allow_sqlite):
        problems = []
        if not settings.PRODUCTION:
            problems.append("YILIAN_ENV=production is not set")
        if connection.vendor != "postgresql" and not allow_sqlite:
            problems.append("DATABASE_URL does not point to PostgreSQL")
        if not os.environ.get("YILIAN_REDIS_URL") and not allow_sqlite:
            problems.append("YILIAN_REDIS_URL is not set (the job queue must be shared by every machine)")
        if shutil.which("gunicorn", path=str(Path(sys.executable).parent)) is None:
            problems.append("gunicorn is not installed in this environment")
        if problems:
            raise CommandError("Not starting: " + "; ".join(problems) + ". See docs/production.md.")

    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        metrics_dir = Path(settings.DATA_DIR) / "prometheus"
        shutil.rmtree(metrics_dir, ignore_errors=True)  # counters of a previous run's dead processes
        metrics_dir.mkdir(parents=True, exist_ok=True)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        return env

    def _start_web(self, env, bind, web_workers):
        command = [str(Path(sys.executable).parent / "gunicorn"), "yilian.wsgi:application",
                   "-c", str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"), "--bind", bind]
        if web_workers:
            command += ["--workers", str(web_workers)]
        return subprocess.Popen(command, env=env)  # noqa: S603 — fixed argv, no shell

    def _start_worker(self, env):
        return subprocess.Popen([sys.executable, "-m", "yilian.cli", "worker"], env=env)  # noqa: S603

    def _supervise(self, children, env):
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while not stopping:
                time.sleep(1)
                for name, process in list(children.items()):
                    if process.poll() is None:
                        continue
                    if name == "web":
                        raise CommandError(f"gunicorn exited with code {process.returncode}")
                    self.stderr.write(f"{name} exited with code {process.returncode}; starting it again")
                    children[name] = self._start_worker(env)
        finally:
            for process in children.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 25
            for process in children.values():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
