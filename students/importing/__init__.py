"""Learner files in: the reader (table), its columns (headers) and cells (cells), the problems it reports, the
import use case with its job glue (learners), and the annotated-problems workbook (annotate)."""

from lec.lib.spreadsheets import MAX_BYTES, FileRefused

from .annotate import annotate
from .headers import ADDRESS_SUB, PERSON_SUB, SPEC_BY_FIELD, SPECS, TEMPLATE_FIELDS, match_header
from .learners import IMPORT, PREVIEW, Outcome, import_job, learners_import
from .problems import KIND_ORDER, Problem, grouped_problems, kind_label, problem_text
from .table import Row, Table, read_table

__all__ = [
    "ADDRESS_SUB",
    "IMPORT",
    "KIND_ORDER",
    "MAX_BYTES",
    "PERSON_SUB",
    "PREVIEW",
    "SPECS",
    "SPEC_BY_FIELD",
    "TEMPLATE_FIELDS",
    "FileRefused",
    "Outcome",
    "Problem",
    "Row",
    "Table",
    "annotate",
    "grouped_problems",
    "import_job",
    "kind_label",
    "learners_import",
    "match_header",
    "problem_text",
    "read_table",
]
