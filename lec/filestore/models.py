"""The tables of the database file storage (lec/filestore/storage.py): a file row and its 1 MiB chunks."""

from django.db import models
from django.utils import timezone

CHUNK_SIZE = 1024 * 1024


class StoredFile(models.Model):
    """One file of the database storage; its bytes are in StoredChunk rows 0, 1, 2, … of CHUNK_SIZE each."""

    name = models.CharField(max_length=255, unique=True)
    size = models.BigIntegerField(default=0)
    chunk_size = models.PositiveIntegerField(default=CHUNK_SIZE)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.name


class StoredChunk(models.Model):
    file = models.ForeignKey(StoredFile, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["file", "index"], name="stored_chunk_file_index")]

    def __str__(self):
        return f"{self.file_id}:{self.index}"
