"""Spreadsheet formats, free of any domain: the limits checked before a file is parsed, CSV decoding and writing,
a streaming xlsx reader and a streaming xlsx writer, and the plain-text view of a cell. Imports no app."""

from .cells import CellValueError, cell_text, header_key, is_blank, plain
from .csv_text import csv_chunks, csv_rows, decode_csv
from .files import FileRefused, file_head, file_size, read_bytes, refuse_if_too_large, sha256_file
from .limits import HEADER_SEARCH_ROWS, MAX_BYTES, MAX_MEMBERS, MAX_RATIO, MAX_ROWS, MAX_UNPACKED
from .responses import csv_response, export_filename, xlsx_response
from .xlsx_read import RawRow, XlsxBook, check_zip, col_number, detect_format, dimension_rows, merges
from .xlsx_write import FORMULA_START, XLSX_CONTENT_TYPE, escape, formula_escaped, write_xlsx

__all__ = [
    "FORMULA_START",
    "HEADER_SEARCH_ROWS",
    "MAX_BYTES",
    "MAX_MEMBERS",
    "MAX_RATIO",
    "MAX_ROWS",
    "MAX_UNPACKED",
    "XLSX_CONTENT_TYPE",
    "CellValueError",
    "FileRefused",
    "RawRow",
    "XlsxBook",
    "cell_text",
    "check_zip",
    "csv_response",
    "export_filename",
    "xlsx_response",
    "col_number",
    "csv_chunks",
    "csv_rows",
    "decode_csv",
    "detect_format",
    "dimension_rows",
    "escape",
    "file_head",
    "file_size",
    "formula_escaped",
    "header_key",
    "is_blank",
    "merges",
    "plain",
    "read_bytes",
    "refuse_if_too_large",
    "sha256_file",
    "write_xlsx",
]
