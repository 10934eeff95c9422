"""The SMS channel behind a small adapter interface: each city plugs in its provider.

``YILIAN_SMS_BACKEND`` names a class; ``YILIAN_SMS_OPTIONS`` (JSON) are its keyword arguments. A
backend's ``send(phone, text)`` returns the provider's message id or raises :class:`SmsError`.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


class SmsError(Exception):
    """The provider refused or could not be reached; the delivery is retried."""


class SmsBackend:
    def __init__(self, **options):
        self.options = options

    def send(self, phone: str, text: str) -> str:
        raise NotImplementedError


class FileSmsBackend(SmsBackend):
    """Appends each message as a JSON line to a file: the default, for demos, tests and air-gapped LANs."""

    _lock = threading.Lock()

    def __init__(self, path: str, fail: bool = False, **options):
        super().__init__(**options)
        self.path = Path(path)
        self.fail = fail  # a provider that is down, for tests and drills

    def send(self, phone: str, text: str) -> str:
        if self.fail:
            raise SmsError("provider unavailable")
        message_id = uuid.uuid4().hex
        line = json.dumps({"id": message_id, "to": phone, "text": text, "at": timezone.now().isoformat()},
                          ensure_ascii=False)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")
        return message_id


class LogSmsBackend(SmsBackend):
    """Writes messages to the log only."""

    def send(self, phone: str, text: str) -> str:
        log.info("SMS to %s****%s: %s", phone[:3], phone[-4:], text)
        return uuid.uuid4().hex


def get_backend() -> SmsBackend:
    return import_string(settings.YILIAN_SMS_BACKEND)(**settings.YILIAN_SMS_OPTIONS)
