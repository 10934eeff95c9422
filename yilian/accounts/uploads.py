"""An upload handler that refuses zip bombs before any importer opens them.

Excel workbooks (.xlsx) are zip archives; openpyxl would unpack a 100 kB archive of a few GB of
XML into memory. This handler sits first in FILE_UPLOAD_HANDLERS, keeps the tail of each uploaded
file as it streams past (the zip's central directory lives there), and at the end adds up the sizes
the entries claim when unpacked. Too much in all, or too high a compression ratio, and the request
is refused with 400 (SuspiciousFileOperation) before a view sees the file.
"""

from __future__ import annotations

import struct

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.uploadhandler import FileUploadHandler

TAIL_BYTES = 1024 * 1024
EOCD = b"PK\x05\x06"
CENTRAL = b"PK\x01\x02"
ZIP64_MARK = 0xFFFFFFFF


def claimed_unpacked_size(tail: bytes) -> int | None:
    """Total unpacked size the zip's central directory claims; None when ``tail`` is not a zip's end.

    Raises SuspiciousFileOperation when the directory is cut off or uses zip64 sizes (no
    spreadsheet needs them).
    """
    end = tail.rfind(EOCD)
    if end < 0 or len(tail) - end < 22:
        return None
    entries, cd_size = struct.unpack("<HI", tail[end + 10:end + 16])
    start = end - cd_size
    if start < 0:
        raise SuspiciousFileOperation("zip directory larger than the inspected tail")
    total, position = 0, start
    for _ in range(entries):
        if tail[position:position + 4] != CENTRAL:
            raise SuspiciousFileOperation("malformed zip directory")
        unpacked, = struct.unpack("<I", tail[position + 24:position + 28])
        name_len, extra_len, comment_len = struct.unpack("<HHH", tail[position + 28:position + 34])
        if unpacked == ZIP64_MARK:
            raise SuspiciousFileOperation("zip64 entry in an upload")
        total += unpacked
        position += 46 + name_len + extra_len + comment_len
    return total


class ZipBombGuard(FileUploadHandler):
    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.tail = b""
        self.size = 0

    def receive_data_chunk(self, raw_data, start):
        self.tail = (self.tail + raw_data)[-TAIL_BYTES:]
        self.size += len(raw_data)
        return raw_data  # the next handler stores the file as usual

    def file_complete(self, file_size):
        unpacked = claimed_unpacked_size(self.tail)
        if unpacked is not None:
            limit = settings.YILIAN_UPLOAD_MAX_UNPACKED_MB * 1024 * 1024
            ratio = unpacked / max(self.size, 1)
            if unpacked > limit or (unpacked > 10 * 1024 * 1024 and ratio > settings.YILIAN_UPLOAD_MAX_RATIO):
                raise SuspiciousFileOperation(
                    f"upload {self.file_name!r} unpacks to {unpacked} bytes (ratio {ratio:.0f}); refused")
        return None  # not ours to store
