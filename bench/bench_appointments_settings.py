"""Settings of the booking-burst benchmark's server: Yilian's, plus the naive peer's endpoint."""

import os

from yilian.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bench_appointments_urls"
DEBUG = False
if os.environ.get("YILIAN_BENCH_SERVER") != "gunicorn":
    # runserver serves each request in a new thread: a persistent connection would outlive its thread.
    # gunicorn's sync workers keep theirs, as in production.
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
