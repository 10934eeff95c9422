import pytest

from tests.telehealth.factories import make_tele_net


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def net(db):
    return make_tele_net()


@pytest.fixture(autouse=True)
def english_pages(client):
    """These tests read English messages; the UI's default language is Chinese."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture(autouse=True)
def english_messages():
    """Services outside a request speak the default language (Chinese); these tests read English."""
    from django.utils import translation

    with translation.override("en"):
        yield
