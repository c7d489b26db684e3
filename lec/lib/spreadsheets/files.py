"""An uploaded file as a path or a binary file object: its size, first bytes, whole content and checksum, and the
one exception refusing a file as a whole."""

import hashlib
import os

from django.utils.translation import gettext as _

from .limits import MAX_BYTES


class FileRefused(Exception):
    """The whole file is refused (too large, wrong format, missing column): one message, nothing read."""

    def __init__(self, message: str, kind: str = "file"):
        self.message = message
        self.kind = kind
        super().__init__(message)


def _is_path(source) -> bool:
    return isinstance(source, str | os.PathLike)


def file_size(source) -> int:
    if _is_path(source):
        return os.path.getsize(source)
    pos = source.tell()
    source.seek(0, os.SEEK_END)
    size = source.tell()
    source.seek(pos)
    return size


def file_head(source, n: int = 8) -> bytes:
    if _is_path(source):
        with open(source, "rb") as fh:
            return fh.read(n)
    pos = source.tell()
    data = source.read(n)
    source.seek(pos)
    return data


def read_bytes(source) -> bytes:
    """The whole content (a file object is read from its start)."""
    if _is_path(source):
        with open(source, "rb") as fh:
            return fh.read()
    source.seek(0)
    return source.read()


def refuse_if_too_large(source) -> None:
    if file_size(source) > MAX_BYTES:
        raise FileRefused(
            _("This file is larger than %(mb)s MB. Split it into smaller files and upload each.")
            % {"mb": MAX_BYTES // (1024 * 1024)},
            "limit",
        )


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
