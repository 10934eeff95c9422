from datetime import date

import pytest

from yilian.accounts.demo_users import create_demo_users
from yilian.roster.demo import load_roster_demo
from yilian.support.demo import load_support_demo

TODAY = date(2026, 11, 22)
MONTH = date(2026, 12, 1)


@pytest.fixture
def demo(guiyang):
    create_demo_users()
    load_support_demo(TODAY)
    load_roster_demo(TODAY)


@pytest.fixture
def immediate_tasks():
    """Run enqueued roster tasks inline (the real worker has its own test in test_worker.py)."""
    from huey.contrib.djhuey import HUEY

    before = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = before
