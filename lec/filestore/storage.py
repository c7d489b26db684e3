"""Files every node can reach: a Django Storage that keeps each file in PostgreSQL as 1 MiB chunks.

Job uploads (at most 20 MB, LEC_IMPORT_MAX_BYTES), annotated workbooks and prepared exports are written by one
node and read by another (a web node saves the upload, a worker on another machine reads it; a worker prepares
an export, any web node streams it). Keeping them in the database needs no new service, commits or rolls back
with the job row that names them, and is backed up by pg_dump with the rest. Reads and writes are streamed one
chunk at a time, so a 20 MB file never sits whole in a process's memory (docs/deployment.md "File storage").

Selected by LEC_FILE_STORAGE=database (the production default); `make run` and the tests use the filesystem.
"""

import io

from django.core.files.base import File
from django.core.files.storage import Storage
from django.db import transaction
from django.utils.deconstruct import deconstructible

from .models import CHUNK_SIZE, StoredChunk, StoredFile


def _chunks_of(content, size: int):
    """The content re-cut into pieces of exactly `size` bytes (the last may be shorter), read as it streams."""
    if hasattr(content, "seek") and getattr(content, "seekable", lambda: True)():
        content.seek(0)
    buffer = bytearray()
    for piece in (
        content.chunks(size) if hasattr(content, "chunks") else iter(lambda: content.read(size), b"")
    ):
        if isinstance(piece, str):
            piece = piece.encode()
        buffer += piece
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)


class ChunkReader(io.RawIOBase):
    """A seekable, read-only view of a StoredFile that fetches one chunk at a time (zipfile seeks to the
    central directory at the end of an xlsx, then reads the members it needs)."""

    def __init__(self, stored: StoredFile, using: str):
        super().__init__()
        self._file_id = stored.pk
        self._size = stored.size
        self._chunk_size = stored.chunk_size
        self._using = using
        self._pos = 0
        self._cached: tuple[int, bytes] | None = None
        self.chunks_fetched = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def _chunk(self, index: int) -> bytes:
        if self._cached is None or self._cached[0] != index:
            data = (
                StoredChunk.objects.using(self._using)
                .filter(file_id=self._file_id, index=index)
                .values_list("data", flat=True)
                .first()
            )
            if data is None:
                raise OSError(f"stored file {self._file_id} lost chunk {index}")
            self._cached = (index, bytes(data))
            self.chunks_fetched += 1
        return self._cached[1]

    def readinto(self, buffer) -> int:
        if self._pos >= self._size:
            return 0
        index, start = divmod(self._pos, self._chunk_size)
        chunk = self._chunk(index)
        n = min(len(buffer), len(chunk) - start, self._size - self._pos)
        buffer[:n] = chunk[start : start + n]
        self._pos += n
        return n


@deconstructible(path="lec.filestore.storage.DatabaseStorage")
class DatabaseStorage(Storage):
    """Storage in the `default` database, chunked and streamed. Names are the same relative paths the
    filesystem storage uses (`jobs/2026/12/x.xlsx`), so switching storages keeps the Job fields' meaning."""

    def __init__(self, using: str = "default", chunk_size: int = CHUNK_SIZE):
        self.using = using
        self.chunk_size = chunk_size

    def _save(self, name: str, content) -> str:
        with transaction.atomic(using=self.using):
            stored = StoredFile.objects.using(self.using).create(name=name, chunk_size=self.chunk_size)
            size = 0
            for index, piece in enumerate(_chunks_of(content, self.chunk_size)):
                StoredChunk.objects.using(self.using).create(file=stored, index=index, data=piece)
                size += len(piece)
            StoredFile.objects.using(self.using).filter(pk=stored.pk).update(size=size)
        return name

    def _open(self, name: str, mode: str = "rb") -> File:
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("DatabaseStorage files are written with save(), not opened for writing")
        stored = self._get(name)
        if stored is None:
            raise FileNotFoundError(name)
        reader = io.BufferedReader(ChunkReader(stored, self.using), buffer_size=64 * 1024)
        return File(reader, name=name)

    def _get(self, name: str) -> StoredFile | None:
        return StoredFile.objects.using(self.using).filter(name=name).first()

    def delete(self, name: str) -> None:
        if not name:
            raise ValueError("The name must be given to delete().")
        with transaction.atomic(using=self.using):
            StoredChunk.objects.using(self.using).filter(file__name=name).delete()
            StoredFile.objects.using(self.using).filter(name=name).delete()

    def exists(self, name: str) -> bool:
        return StoredFile.objects.using(self.using).filter(name=name).exists()

    def size(self, name: str) -> int:
        stored = self._get(name)
        if stored is None:
            raise FileNotFoundError(name)
        return stored.size

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        prefix = f"{path.rstrip('/')}/" if path else ""
        dirs, files = set(), []
        for name in (
            StoredFile.objects.using(self.using)
            .filter(name__startswith=prefix)
            .values_list("name", flat=True)
        ):
            head, _, rest = name[len(prefix) :].partition("/")
            if rest:
                dirs.add(head)
            else:
                files.append(head)
        return sorted(dirs), sorted(files)

    def url(self, name: str) -> str:
        raise NotImplementedError("Files in the database are served by the views that check access to them.")

    def get_created_time(self, name: str):
        stored = self._get(name)
        if stored is None:
            raise FileNotFoundError(name)
        return stored.created_at

    get_modified_time = get_created_time
    get_accessed_time = get_created_time
