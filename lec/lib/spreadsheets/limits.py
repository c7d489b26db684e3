"""What LEC accepts of an uploaded spreadsheet, checked before it is parsed (a zip bomb or a huge sheet is refused
within seconds)."""

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
MAX_UNPACKED = 200 * 1024 * 1024
MAX_RATIO = 100
MAX_MEMBERS = 2_000
HEADER_SEARCH_ROWS = 10
