"""gunicorn settings for ``yilian production`` (any of them can be overridden on its command line).

Sync workers, two per core plus one: Yilian's requests wait on the database, not on the CPU.
A worker that dies (or is killed) is replaced by the master; its metrics files are retired.
"""

import multiprocessing
import os

bind = os.environ.get("YILIAN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("YILIAN_WEB_WORKERS", str(multiprocessing.cpu_count() * 2 + 1)))
worker_class = "sync"
timeout = int(os.environ.get("YILIAN_WEB_TIMEOUT", "60"))
graceful_timeout = 20
max_requests = 5000  # recycle workers now and then, so a slow leak never takes a server down
max_requests_jitter = 500
accesslog = None  # Yilian writes its own JSON access line with the request id
errorlog = "-"
forwarded_allow_ips = os.environ.get("YILIAN_FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "yilian-web"


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
