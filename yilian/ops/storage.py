"""File storage that leaves nothing half-written when the disk fills up."""

import contextlib

from django.core.files.storage import FileSystemStorage


class AtomicFileSystemStorage(FileSystemStorage):
    def _save(self, name, content):
        try:
            return super()._save(name, content)
        except OSError:
            # The part written before the disk ran out is garbage: remove it, then let the caller
            # roll its transaction back and tell the user.
            with contextlib.suppress(OSError):
                self.delete(name)
            raise
