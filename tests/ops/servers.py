"""Real servers for the operations tests: a PostgreSQL cluster, a Redis server and ``yilian production``.

Each test gets its own processes on free loopback ports, so it may kill, stop and restart them.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECRET = "ops-test-secret-" + "x" * 50


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def pg_bindir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def missing_tools() -> list[str]:
    missing = [] if pg_bindir() else ["PostgreSQL server (Debian postgresql)"]
    if shutil.which("redis-server") is None:
        missing.append("redis-server (Debian redis-server)")
    return missing


def _as_owner(command: list[str], **kwargs):
    """initdb and postgres refuse root: run them as the postgres user."""
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)  # noqa: S603


@dataclass
class Postgres:
    """A throwaway cluster that survives stop/start (the data directory stays until ``destroy``)."""

    port: int = field(default_factory=free_port)
    directory: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="yilian-ops-pg-", dir="/tmp")))

    def __post_init__(self):
        if os.geteuid() == 0:
            shutil.chown(self.directory, pwd.getpwnam("postgres").pw_uid)
        if (self.directory / "data").exists():  # a cluster kept from an earlier run (bench --reuse)
            self.start()
            return
        _as_owner([str(pg_bindir() / "initdb"), "-D", str(self.directory / "data"), "-U", "postgres", "-A", "trust",
                   "-E", "UTF8", "--no-locale"])
        self.start()
        _as_owner([str(pg_bindir() / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "yilian"])

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/yilian"

    def start(self):
        _as_owner([str(pg_bindir() / "pg_ctl"), "-D", str(self.directory / "data"), "-l",
                   str(self.directory / "server.log"), "-w", "-t", "60", "-o",
                   f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.directory}", "start"])

    def stop(self, mode: str = "fast"):
        _as_owner([str(pg_bindir() / "pg_ctl"), "-D", str(self.directory / "data"), "-m", mode, "-w", "stop"])

    def destroy(self):
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


class Redis:
    def __init__(self):
        self.port = free_port()
        self.process = subprocess.Popen(  # noqa: S603
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: _connects(self.port), 20, "redis-server")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def destroy(self):
        self.process.kill()
        self.process.wait()


def _connects(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def production_env(data_dir: Path, database_url: str, redis_url: str, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "YILIAN_", "DJANGO_"))}
    env.update({
        "YILIAN_ENV": "production", "YILIAN_SECRET_KEY": SECRET, "DATABASE_URL": database_url,
        "YILIAN_REDIS_URL": redis_url, "YILIAN_DATA_DIR": str(data_dir), "YILIAN_SSL_REDIRECT": "0",
        "YILIAN_ALLOWED_HOSTS": "127.0.0.1,localhost", "YILIAN_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "yilian.settings", "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


class Production:
    """``yilian production`` as a user would start it, with its output in files we can read."""

    def __init__(self, env: dict[str, str], *, web_workers: int = 2, job_workers: int = 1, skip_prepare=False):
        self.env = env
        self.port = free_port()
        self.log_dir = Path(env["YILIAN_DATA_DIR"])
        self.stdout = open(self.log_dir / "production.out", "wb")  # noqa: SIM115 — closed in stop()
        self.stderr = open(self.log_dir / "production.err", "wb")  # noqa: SIM115
        command = [sys.executable, "-m", "yilian.cli", "production", "--bind", f"127.0.0.1:{self.port}",
                   "--web-workers", str(web_workers), "--job-workers", str(job_workers)]
        if skip_prepare:
            command.append("--skip-prepare")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.stdout, stderr=self.stderr,  # noqa: S603
                                        start_new_session=True)
        try:
            wait_for(lambda: self.get("/healthz")[0] == 200 or self._died(), 300,
                     "yilian production to answer /healthz")
            assert self.process.poll() is None, f"yilian production exited:\n{self.errors()}"
        except BaseException:
            self.stop()  # never leave gunicorn and the workers running after a failed start
            raise

    def _died(self):
        return self.process.poll() is not None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def request(self, method: str, path: str, body=None, headers=None, timeout: float = 10):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url(path), data=data, method=method,  # noqa: S310 — loopback only
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read(), dict(error.headers)
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return None, b"", {}

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def errors(self) -> str:
        self.stderr.flush()
        return (self.log_dir / "production.err").read_text(errors="replace")

    def manage(self, code: str) -> str:
        """Run Python with Django set up against the same database, as an operator's shell would."""
        result = subprocess.run([sys.executable, "-c", "import django; django.setup()\n" + code], cwd=ROOT,  # noqa: S603
                                env=self.env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def children(self) -> dict[str, list[int]]:
        """gunicorn master and workers, and job workers, by their command lines."""
        found = {"gunicorn": [], "worker": []}
        for pid in subprocess.run(["pgrep", "-s", str(self.process.pid)], capture_output=True,  # noqa: S607
                                  text=True).stdout.split():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if "gunicorn" in cmdline:
                found["gunicorn"].append(int(pid))
            elif "yilian.cli worker" in cmdline:
                found["worker"].append(int(pid))
        return found

    def web_workers(self) -> list[int]:
        pids = self.children()["gunicorn"]
        return [p for p in pids if _parent(p) in pids]

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.stdout.close()
        self.stderr.close()


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1
