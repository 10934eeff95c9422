from datetime import date

import pytest

from yilian.accounts.demo_users import create_demo_users
from yilian.roster.demo import load_roster_demo
from yilian.support.demo import load_support_demo

TODAY = date(2026, 1, 5)  # early in the year: the support demo then writes a short ledger
MONTH = date(2026, 2, 1)  # with the Spring Festival holidays


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
