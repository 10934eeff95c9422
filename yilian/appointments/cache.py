"""The file cache Yilian uses by default (settings.CACHES), shared by every process of one server.

Django's FileBasedCache lists its whole directory on every write to decide whether to cull; when
booking opens, hundreds of residents' rate-limit counters are written per second, so this one
culls on one write in a hundred instead.
"""

import random

from django.core.cache.backends.filebased import FileBasedCache

CULL_EVERY = 100


class FileCache(FileBasedCache):
    def _cull(self):
        if random.randrange(CULL_EVERY) == 0:  # noqa: S311 (not security relevant)
            super()._cull()
