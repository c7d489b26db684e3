"""Issue 12, hole 8: the annotated-problems workbook of a large upload is not built by loading the whole upload
(642 MB for 7 MB in the web request); past the cap the problems come as a streamed list."""

import importlib
import io
import tracemalloc

import openpyxl

annotate_mod = importlib.import_module("students.importing.annotate")


def _upload(rows: int) -> bytes:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Learners")
    ws.append([f"h{i}" for i in range(30)])
    for n in range(rows):
        ws.append([n, "1103700012346", "เด็กชาย", "สมชาย"] + [f"ข้อความ{n}-{i}" for i in range(26)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_large_upload_gets_a_streamed_problem_list_in_bounded_memory(monkeypatch):
    data = _upload(3000)
    monkeypatch.setattr(annotate_mod, "ANNOTATE_MAX_BYTES", len(data) // 2)
    result = {
        "format": "xlsx",
        "sheet": "Learners",
        "header_row": 1,
        "problems": [{"row": r, "col": 1, "column": "national_id", "message": f"bad {r}", "kind": "error"}
                     for r in range(2, 3000, 3)],
    }  # fmt: skip
    tracemalloc.start()
    out = annotate_mod.annotate(io.BytesIO(data), "big.xlsx", result)
    _now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, peak  # loading the upload itself took ~40 MB here
    sheet = openpyxl.load_workbook(io.BytesIO(out), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + len(result["problems"]) and rows[1][:2] == (2, "national_id")


def test_a_small_upload_is_still_annotated_in_place():
    data = _upload(20)
    result = {"format": "xlsx", "sheet": "Learners", "header_row": 1,
              "problems": [{"row": 3, "col": 1, "column": "national_id", "message": "bad", "kind": "error"}]}  # fmt: skip
    out = annotate_mod.annotate(io.BytesIO(data), "small.xlsx", result)
    ws = openpyxl.load_workbook(io.BytesIO(out))["Learners"]
    assert ws.cell(row=3, column=2).comment is not None and ws.max_row == 21
