"""The one reader of uploaded CSV tables with named columns (the organisation list, the user list), for the pages
and the commands alike: decoded as every upload is (UTF-8 with or without BOM, else Windows-874), header names
trimmed, the required columns checked. Rows come back as (line number, {column: text}) pairs."""

import csv
import io
from collections.abc import Sequence

from django.utils.translation import gettext as _

from lec.lib.spreadsheets.csv_text import decode_csv
from lec.lib.spreadsheets.files import FileRefused

MAX_TABLE_BYTES = 10 * 1024 * 1024

Rows = list[tuple[int, dict]]


def read_table(data: bytes, required: Sequence[str]) -> Rows:
    """The rows of a CSV file's bytes; FileRefused (one message) for an unknown encoding or a missing column."""
    reader = csv.DictReader(io.StringIO(decode_csv(data), newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        raise FileRefused(_("line 1: missing columns: %(cols)s") % {"cols": ", ".join(missing)}, "columns")
    reader.fieldnames = header
    return [(reader.line_num, row) for row in reader]


def read_upload(upload, required: Sequence[str]) -> Rows:
    """read_table for a file sent from a page, refusing a missing or too large file first."""
    if upload is None:
        raise FileRefused(_("Choose a CSV file to upload."))
    if upload.size > MAX_TABLE_BYTES:
        raise FileRefused(_("The file is larger than 10 MB."), "size")
    return read_table(upload.read(), required)
