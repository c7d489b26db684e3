"""CSV in and out: strict decoding of uploads (UTF-8 or Windows-874), rows as (value, is_formula) cells, and the
streamed writer of exports (UTF-8 with BOM, CRLF)."""

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _

from .files import FileRefused

CHUNK_ROWS = 1000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _refuse_encoding() -> FileRefused:
    return FileRefused(
        _("This CSV file is not in UTF-8 or Windows-874 (Thai). Save it as “CSV UTF-8” and upload it again."),
        "encoding",
    )


def decode_csv(data: bytes) -> str:
    """UTF-8 (BOM optional), else Windows-874 (TIS-620), strictly; anything else is refused."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data:
        raise _refuse_encoding()
    for encoding in ("utf-8-sig", "cp874"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not _CONTROL.search(text):
            return text
    raise _refuse_encoding()


def _delimiter(first_line: str) -> str:
    if first_line.count(";") > first_line.count(","):
        return ";"
    return "\t" if "\t" in first_line and "," not in first_line else ","


def csv_rows(text: str) -> Iterator[tuple[int, list[tuple[object, bool]]]]:
    """(row number from 1, [(value, is_formula)]) per line; the delimiter is guessed from the first line."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.split("\n", 1)[0]))
    for number, cells in enumerate(reader, start=1):
        yield number, [(v, isinstance(v, str) and v.startswith("=")) for v in cells]


def csv_chunks(header: list[str], rows: Iterable[list], on_done) -> Iterator[bytes]:
    """UTF-8 with BOM, CRLF, in chunks of rows; calls on_done(rows, sha256, complete) at the end or on abort."""
    digest = hashlib.sha256()
    count = 0
    complete = False
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def drain() -> bytes:
        data = buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        digest.update(data)
        return data

    try:
        buffer.write("\ufeff")
        writer.writerow(header)
        yield drain()
        for row in rows:
            writer.writerow(row)
            count += 1
            if count % CHUNK_ROWS == 0:
                yield drain()
        data = drain()
        if data:
            yield data
        complete = True
    finally:
        on_done(count, digest.hexdigest(), complete)
