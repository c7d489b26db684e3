"""Writes tests/spreadsheets/corpus/: spreadsheets made the way other programs make them, not by openpyxl.

    python -m tests.spreadsheets.make_corpus          (needs LibreOffice Calc: apt-get install libreoffice-calc)

The files are committed, so reading them needs nothing; this script documents how each was made and remakes them.
- lo_thai_six.xlsx: six learners typed as CSV in the template's headers, opened by LibreOffice in the Thai locale
  and saved as xlsx (plain numbers get LibreOffice's "General" custom format; 15/03/2562 becomes a date cell in
  the Gregorian year 2562).
- lo_default.xlsx: the same CSV through LibreOffice in its default (en-US) locale.
- excel_mac_1904.xlsx: an Excel for Mac workbook in the 1904 date system (date1904="1").
- rich_phonetic.xlsx: shared strings with rich-text runs and phonetic (rPh) runs, as Excel writes them.
- inline_strings.xlsx: inline strings (t="inlineStr"), as many exporters write them.
- shared_formulas.xlsx: a shared formula (one <f t="shared"> referenced by the cells below) with cached values.
- merged_headers.xlsx: a merged group header (บิดา) above its sub-headers, with the mergeCells element.
- windows874.csv: the six learners in Windows-874 (TIS-620), as Thai Excel saves "CSV".
- truncated.xlsx: lo_default.xlsx cut in half (a download that stopped).
"""

import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

CORPUS = Path(__file__).parent / "corpus"
HEADERS = ["ลำดับที่", "เลขประจำตัวนักเรียน", "เลขประจำตัวประชาชน", "คำนำหน้า", "ชื่อ", "นามสกุล", "วันเดือนปีเกิด",
           "ระดับชั้น", "ห้องเรียน"]  # fmt: skip
# Synthetic identities with valid check digits (belonging to nobody); birth dates fit ป.1–ป.3 in 2569.
LEARNERS = [
    ["1", "6300", "1101700230708", "เด็กชาย", "สมชาย", "ใจดี", "15/03/2562", "ป.1", "1"],
    ["2", "6301", "1101700230716", "เด็กหญิง", "สมหญิง", "ใจงาม", "02/11/2562", "ป.1", "1"],
    ["3", "6302", "1101700230724", "เด็กชาย", "มานะ", "ขยัน", "28/02/2562", "ป.1", "2"],
    ["4", "6303", "1101700230732", "เด็กหญิง", "มานี", "รักเรียน", "10/06/2561", "ป.2", "1"],
    ["5", "6304", "1101700230741", "เด็กชาย", "ปิติ", "ยินดี", "31/12/2561", "ป.2", "2"],
    ["6", "6305", "1101700230759", "เด็กหญิง", "ชูใจ", "สุขใจ", "01/05/2560", "ป.3", "1"],
]
THAI_LOCALE = "1054"  # LibreOffice's CSV filter takes the language as a Windows LCID: 0x041E, Thai


def six_csv() -> str:
    return "\n".join(",".join(row) for row in [HEADERS, *LEARNERS]) + "\n"


def libreoffice_xlsx(csv_text: str, out: Path, locale: str | None = None) -> None:
    """Convert CSV text to xlsx with LibreOffice Calc (headless, its own throwaway profile)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise RuntimeError("LibreOffice is not installed (apt-get install libreoffice-calc)")
    with tempfile.TemporaryDirectory(prefix="lec-lo-") as tmp:
        src = Path(tmp) / (out.stem + ".csv")
        src.write_text(csv_text, encoding="utf-8")
        # separator 44 (,), text delimiter 34 ("), charset 76 (UTF-8), first line 1, column formats, language
        infilter = "CSV:44,34,76,1," + ("," + locale if locale else "")
        subprocess.run(
            [soffice, f"-env:UserInstallation=file://{tmp}/profile", "--headless", f"--infilter={infilter}",
             "--convert-to", "xlsx", "--outdir", tmp, str(src)],
            check=True, capture_output=True, timeout=180,
        )  # fmt: skip
        shutil.copyfile(Path(tmp) / (out.stem + ".xlsx"), out)


# ------------------------------------------------------------------------------------------ hand-written packages

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _package(out: Path, sheet_xml: str, shared: str | None = None, styles: str | None = None, date1904=False):
    """A minimal xlsx as Excel lays it out (workbook, one sheet, optional shared strings and styles)."""
    overrides = [
        ("/xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
        (
            "/xl/worksheets/sheet1.xml",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
        ),
    ]
    rels = [("rId1", "worksheet", "worksheets/sheet1.xml")]
    if shared is not None:
        overrides.append(("/xl/sharedStrings.xml",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"))  # fmt: skip
        rels.append(("rId2", "sharedStrings", "sharedStrings.xml"))
    if styles is not None:
        overrides.append(
            ("/xl/styles.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml")
        )
        rels.append(("rId3", "styles", "styles.xml"))
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        + "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in overrides)
        + "</Types>"
    )
    root_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
        + ('<workbookPr date1904="1"/>' if date1904 else "<workbookPr/>")
        + '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    workbook_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(f'<Relationship Id="{i}" Type="{_REL}/{t}" Target="{target}"/>' for i, t, target in rels)
        + "</Relationships>"
    )
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", content_types)
        z.writestr("_rels/.rels", root_rels)
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        if shared is not None:
            z.writestr("xl/sharedStrings.xml", shared)
        if styles is not None:
            z.writestr("xl/styles.xml", styles)


def _sheet(rows_xml: str, extra: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
        f"<sheetData>{rows_xml}</sheetData>{extra}</worksheet>"
    )


def _col(i: int) -> str:
    return chr(65 + i)


def _inline_row(r: int, values: list[str], date_col: int | None = None, serials=None) -> str:
    cells = []
    for i, v in enumerate(values):
        ref = f"{_col(i)}{r}"
        if date_col is not None and i == date_col and serials is not None:
            cells.append(f'<c r="{ref}" s="1"><v>{serials[r]}</v></c>')
        elif v.isdigit() and len(v) < 13:
            cells.append(f'<c r="{ref}"><v>{v}</v></c>')
        else:
            cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(v)}</t></is></c>')
    return f'<row r="{r}">{"".join(cells)}</row>'


_DATE_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="{_MAIN}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="d/m/yyyy"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>'
)


def excel_mac_1904(out: Path) -> None:
    """Birth dates as date cells in the 1904 system: serial 0 = 1 January 1904 (Excel for Mac before 2016)."""
    import datetime as dt

    headers = HEADERS
    serials = {}
    rows = [_inline_row(1, headers)]
    for n, learner in enumerate(LEARNERS, start=2):
        day, month, year_be = (int(x) for x in learner[6].split("/"))
        serials[n] = (dt.date(year_be - 543, month, day) - dt.date(1904, 1, 1)).days
        rows.append(_inline_row(n, learner, date_col=6, serials=serials))
    _package(out, _sheet("".join(rows)), styles=_DATE_STYLES, date1904=True)


def rich_phonetic(out: Path) -> None:
    """Shared strings with rich-text runs (bold first name) and phonetic runs, as Excel writes them."""
    items = [
        "<si><t>ชื่อ</t></si>",
        "<si><t>นามสกุล</t></si>",
        '<si><r><rPr><b/></rPr><t>สม</t></r><r><t xml:space="preserve">ชาย</t></r></si>',
        '<si><t>ใจดี</t><rPh sb="0" eb="3"><t>ジャイディー</t></rPh><phoneticPr fontId="1"/></si>',
        '<si><r><t>มา</t></r><r><rPr><i/></rPr><t>นี</t></r><rPh sb="0" eb="1"><t>マニー</t></rPh></si>',
        '<si><t xml:space="preserve"> รักเรียน </t></si>',
    ]
    shared = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="{_MAIN}" count="{len(items)}" '
        f'uniqueCount="{len(items)}">{"".join(items)}</sst>'
    )
    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row>'
        '<row r="3"><c r="A3" t="s"><v>4</v></c><c r="B3" t="s"><v>5</v></c></row>'
    )
    _package(out, _sheet(rows), shared=shared)


def inline_strings(out: Path) -> None:
    rows = [_inline_row(1, HEADERS)] + [_inline_row(n, row) for n, row in enumerate(LEARNERS, start=2)]
    _package(out, _sheet("".join(rows)))


def shared_formulas(out: Path) -> None:
    """B2:B4 = A2*2 as one shared formula (si=0), with the values Excel cached."""
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>n</t></is></c><c r="B1" t="inlineStr"><is><t>twice</t></is></c>'
        "</row>"
        '<row r="2"><c r="A2"><v>1</v></c><c r="B2"><f t="shared" ref="B2:B4" si="0">A2*2</f><v>2</v></c></row>'
        '<row r="3"><c r="A3"><v>2</v></c><c r="B3"><f t="shared" si="0"/><v>4</v></c></row>'
        '<row r="4"><c r="A4"><v>3</v></c><c r="B4"><f t="shared" si="0"/><v>6</v></c></row>'
    )
    _package(out, _sheet(rows))


def merged_headers(out: Path) -> None:
    """Row 1: a group header บิดา merged over C1:D1; row 2: the sub-headers; row 3: data."""
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>ชื่อ</t></is></c><c r="B1" t="inlineStr"><is><t>นามสกุล</t>'
        '</is></c><c r="C1" t="inlineStr"><is><t>บิดา</t></is></c><c r="D1"/></row>'
        '<row r="2"><c r="C2" t="inlineStr"><is><t>ชื่อ</t></is></c><c r="D2" t="inlineStr"><is><t>นามสกุล</t></is>'
        "</c></row>"
        '<row r="3"><c r="A3" t="inlineStr"><is><t>สมชาย</t></is></c><c r="B3" t="inlineStr"><is><t>ใจดี</t></is>'
        '</c><c r="C3" t="inlineStr"><is><t>สมศักดิ์</t></is></c><c r="D3" t="inlineStr"><is><t>ใจดี</t></is></c>'
        "</row>"
    )
    merges = '<mergeCells count="3"><mergeCell ref="C1:D1"/><mergeCell ref="A1:A2"/><mergeCell ref="B1:B2"/>'
    _package(out, _sheet(rows, merges + "</mergeCells>"))


def main() -> None:
    CORPUS.mkdir(exist_ok=True)
    libreoffice_xlsx(six_csv(), CORPUS / "lo_thai_six.xlsx", THAI_LOCALE)
    libreoffice_xlsx(six_csv(), CORPUS / "lo_default.xlsx")
    excel_mac_1904(CORPUS / "excel_mac_1904.xlsx")
    rich_phonetic(CORPUS / "rich_phonetic.xlsx")
    inline_strings(CORPUS / "inline_strings.xlsx")
    shared_formulas(CORPUS / "shared_formulas.xlsx")
    merged_headers(CORPUS / "merged_headers.xlsx")
    (CORPUS / "windows874.csv").write_bytes(six_csv().replace("\n", "\r\n").encode("cp874"))
    whole = (CORPUS / "lo_default.xlsx").read_bytes()
    (CORPUS / "truncated.xlsx").write_bytes(whole[: len(whole) // 2])
    for path in sorted(CORPUS.iterdir()):
        print(f"{path.name}: {os.path.getsize(path):,} bytes")


if __name__ == "__main__":
    main()
