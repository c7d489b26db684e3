"""Export downloads: a CSV streamed as it is written, an xlsx written to a temporary file first (its checksum is
logged before the response is sent)."""

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from .files import sha256_file
from .xlsx_write import XLSX_CONTENT_TYPE, write_xlsx


def export_filename(code: str, what: str, fmt: str) -> str:
    """`<what>-<organisation code>-<yyyymmdd>.<fmt>`."""
    stamp = timezone.localdate().strftime("%Y%m%d")
    return f"{what}-{code}-{stamp}.{fmt}"


def csv_response(name: str, chunks: Iterator[bytes]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def xlsx_response(
    name: str, title: str, header_rows: list[list], rows: Iterable[list], log: Callable, text_columns=()
) -> FileResponse:
    """Write the sheet, call log(rows, sha256), and send the file (deleted from disk once opened)."""
    fd, path = tempfile.mkstemp(suffix=".xlsx", prefix="lec-export-")
    os.close(fd)
    try:
        count = write_xlsx(path, title, header_rows, rows, text_columns)
        log(count, sha256_file(path))
        handle = open(path, "rb")  # noqa: SIM115 — FileResponse closes it
    finally:
        os.unlink(path)  # the open handle keeps the data until the response is sent
    return FileResponse(handle, as_attachment=True, filename=name, content_type=XLSX_CONTENT_TYPE)
