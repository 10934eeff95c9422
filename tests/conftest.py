import pytest

from yilian.network.demo_loader import load_guiyang


@pytest.fixture
def guiyang(db):
    """The Guiyang demo network (annex 1): 41 pilots, 18 hospitals."""
    return load_guiyang()
