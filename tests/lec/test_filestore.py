"""The database file storage: what one node writes another reads, one chunk at a time, and the purge of
personal data deletes the chunks."""

import datetime as dt
import io
import os
import tracemalloc
import zipfile

import pytest
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import timezone

from lec.filestore.models import CHUNK_SIZE, StoredChunk, StoredFile
from lec.filestore.storage import DatabaseStorage
from lec.models import Job
from lec.tasks import purge_job_files

MiB = 1024 * 1024


@pytest.fixture
def database_storage(settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "lec.filestore.storage.DatabaseStorage"}}


class Stream(io.RawIOBase):
    """`size` bytes produced on demand (never held whole), like an upload read from a socket."""

    def __init__(self, size: int):
        self.left = size
        self.produced = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.left)
        buffer[:n] = bytes([(self.produced + i) % 251 for i in range(min(n, 251))]) * (n // 251) + bytes(
            [(self.produced + i) % 251 for i in range(n % 251)]
        )
        self.left -= n
        self.produced += n
        return n


def test_a_file_written_by_one_node_is_read_by_another(db):
    payload = os.urandom(3 * MiB + 12345)
    web = DatabaseStorage()
    name = web.save("jobs/2026/12/upload.xlsx", ContentFile(payload))
    worker = DatabaseStorage()  # another process, another machine: it shares only the database
    assert worker.exists(name)
    assert worker.size(name) == len(payload)
    with worker.open(name) as fh:
        assert fh.read() == payload
    assert list(
        StoredChunk.objects.filter(file__name=name).order_by("index").values_list("index", flat=True)
    ) == [
        0,
        1,
        2,
        3,
    ]


def test_the_same_name_twice_keeps_both_files(db):
    storage = DatabaseStorage()
    first = storage.save("jobs/a.csv", ContentFile(b"one"))
    second = storage.save("jobs/a.csv", ContentFile(b"two"))
    assert first != second
    assert storage.open(first).read() == b"one" and storage.open(second).read() == b"two"


def test_reading_fetches_one_chunk_per_query(db, django_assert_num_queries):
    storage = DatabaseStorage()
    name = storage.save("out/big.csv", ContentFile(os.urandom(3 * MiB)))
    fh = storage.open(name)
    raw = fh.file.raw
    for expected in (1, 2, 3):
        with django_assert_num_queries(1):
            piece = fh.read(MiB)
        assert len(piece) == MiB
        assert raw.chunks_fetched == expected
    assert fh.read(10) == b""


def test_seeking_reads_a_zip_without_loading_it(db):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("padding.bin", os.urandom(2 * MiB))
        archive.writestr("xl/worksheets/sheet1.xml", "<sheet>ok</sheet>")
    storage = DatabaseStorage()
    name = storage.save("jobs/book.xlsx", ContentFile(buffer.getvalue()))
    with storage.open(name) as fh, zipfile.ZipFile(fh) as archive:
        assert archive.read("xl/worksheets/sheet1.xml") == b"<sheet>ok</sheet>"
        # the central directory and one member: the 2 MiB of padding before it are never fetched whole
        assert fh.file.raw.chunks_fetched <= 2


def test_a_20_mb_file_streams_in_and_out_in_bounded_memory(db):
    """The upload cap is 20 MB: writing and reading one holds about one chunk, not the file."""
    size = 20 * 1000 * 1000
    storage = DatabaseStorage()
    tracemalloc.start()
    try:
        name = storage.save("jobs/20mb.csv", File(io.BufferedReader(Stream(size)), name="20mb.csv"))
        _, write_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        total = 0
        with storage.open(name) as fh:
            for piece in iter(lambda: fh.read(256 * 1024), b""):
                total += len(piece)
        _, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == size == storage.size(name)
    assert StoredChunk.objects.filter(file__name=name).count() == -(-size // CHUNK_SIZE)
    assert write_peak < 12 * MiB, write_peak  # about 9 MiB on PostgreSQL (the driver copies each chunk)
    assert read_peak < 4 * MiB, read_peak


def test_a_file_saved_in_a_transaction_that_fails_is_not_kept(db):
    storage = DatabaseStorage()
    with pytest.raises(RuntimeError), transaction.atomic():
        storage.save("jobs/rolled-back.csv", ContentFile(b"x" * 100))
        raise RuntimeError("the job row was not written")
    assert not storage.exists("jobs/rolled-back.csv")
    assert not StoredChunk.objects.exists()


def test_missing_files(db):
    storage = DatabaseStorage()
    with pytest.raises(FileNotFoundError):
        storage.open("jobs/none.csv")
    storage.delete("jobs/none.csv")  # deleting what is gone is not an error
    assert storage.listdir("jobs") == ([], [])


def test_listdir(db):
    storage = DatabaseStorage()
    storage.save("jobs/2026/a.csv", ContentFile(b"a"))
    storage.save("jobs/b.csv", ContentFile(b"b"))
    assert storage.listdir("jobs") == (["2026"], ["b.csv"])


def test_the_purge_of_personal_data_deletes_the_chunks(db, database_storage):
    job = Job.objects.create(kind=Job.Kind.IMPORT_LEARNERS, state=Job.State.DONE)
    job.file.save("learners.csv", ContentFile(os.urandom(CHUNK_SIZE + 10)), save=False)
    job.output.save("learners-out.csv", ContentFile(b"prepared export"), save=False)
    job.save()
    assert StoredFile.objects.count() == 2 and StoredChunk.objects.count() == 3
    fresh = Job.objects.create(kind=Job.Kind.EXPORT_LEARNERS, state=Job.State.DONE)
    fresh.output.save("today.csv", ContentFile(b"kept until next week"))
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(days=8))

    assert purge_job_files() == 2

    job.refresh_from_db()
    assert not job.file and not job.output
    assert list(StoredFile.objects.values_list("name", flat=True)) == [fresh.output.name]
    assert StoredChunk.objects.count() == 1
