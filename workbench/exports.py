"""The service report as files: CSV, XLSX (openpyxl, through pandas) and PDF (fpdf2).

All three are written from one labelled table (`table()`): the frame the Service report page
shows, with the column headers of queries/definitions/service_report.toml. CSV and XLSX hold its
values as they are (numbers stay numbers, an empty cell stays empty); the PDF prints each cell
as `pdf_cell()` writes it, under a title, the project and the period, and ends with the
definitions as a footnote. Nothing here reads data: the page hands the frame over.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from fpdf import FPDF, FontFace

from queries.definitions import Definition, area

AREA = "service_report"
# The query's text columns, then its metric columns (each defined in the TOML file).
TEXT_COLUMNS: dict[str, str] = {"channel": "Channel", "kind": "Kind",
                                "service": "Service / journey"}
METRIC_COLUMNS: tuple[str, ...] = (
    "started", "resolved", "dropped", "avg_first_response_s", "avg_resolution_s", "csat",
    "csat_satisfied_pct", "csat_responses", "escalation_rate")
# Units in the headers: the values are plain numbers (seconds, percentages), in every export.
UNITS = {"seconds": " (s)", "percent": " (%)", "rating": " (1–5)"}
EMPTY = "–"  # an empty cell in the PDF: the metric does not apply, or has no value

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_MIME = "application/pdf"
CSV_MIME = "text/csv"

# A Unicode font for the PDF where the system has one (Debian's fonts-dejavu-core); otherwise
# the PDF's built-in Helvetica, which only knows Latin-1 (see `_latin1`).
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}


@dataclass(frozen=True)
class ReportInfo:
    """What the PDF says above its table (and the XLSX on its "About" sheet)."""

    project: str
    period: str  # e.g. "November 2026 (1–30 Nov 2026, Africa/Nairobi)"
    generated: str  # when, in the project's time zone
    title: str = "KRA service report"


def definitions() -> dict[str, Definition]:
    return area(AREA).metrics


def labels() -> dict[str, str]:
    """Query column → the header every export and the page use."""
    found = definitions()
    return {**TEXT_COLUMNS,
            **{c: found[c].label + UNITS.get(found[c].format, "") for c in METRIC_COLUMNS}}


def formats() -> dict[str, str]:
    """Header → the definition's format ("text" for the text columns)."""
    found = definitions()
    names = labels()
    return {**{names[c]: "text" for c in TEXT_COLUMNS},
            **{names[c]: found[c].format for c in METRIC_COLUMNS}}


def table(df: pd.DataFrame) -> pd.DataFrame:
    """The `service_report` query's frame as the page shows it and every export writes it:
    its columns in order, under their headers; empty cells are None."""
    names = labels()
    shown = df[list(names)].rename(columns=names).astype(object)
    return shown.where(shown.notna(), None)


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def pdf_cell(fmt: str, value: Any) -> str:
    """A cell as the PDF prints it: counts with thousands separators, seconds to 0.1 s,
    ratings and percentages to 2 decimals (as the query rounds them), `EMPTY` for none."""
    if _missing(value):
        return EMPTY
    if fmt == "text":
        return str(value)
    if fmt == "count":
        return f"{int(value):,}"
    if fmt == "seconds":
        return f"{float(value):,.1f}"
    return f"{float(value):,.2f}"


def plain(text: str) -> str:
    """Markdown of the definitions as plain text (the PDF's footnote)."""
    return re.sub(r"\*\*|\*|`", "", text)


def footnote() -> list[str]:
    """The definitions: the rows, then each column, as the TOML file says them."""
    found = area(AREA)
    names = labels()
    return [plain(found.intro)] + [f"{names[c]}: {plain(found.metrics[c].help)}"
                                   for c in METRIC_COLUMNS]


# --- CSV and XLSX ---------------------------------------------------------------------------
def to_csv(shown: pd.DataFrame) -> bytes:
    return shown.to_csv(index=False).encode("utf-8")


def to_xlsx(shown: pd.DataFrame, info: ReportInfo) -> bytes:
    """Sheet "Service report": the table from A1 (headers in row 1), nothing else, so it reads
    back as it was written; sheet "About": title, project, period, generated, definitions."""
    out = io.BytesIO()
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        shown.to_excel(writer, sheet_name="Service report", index=False)
        notes = footnote()
        about = [("Report", info.title), ("Project", info.project), ("Period", info.period),
                 ("Generated", info.generated), ("Definitions", notes[0]),
                 *(("", note) for note in notes[1:])]
        pd.DataFrame(about).to_excel(writer, sheet_name="About", index=False, header=False)
        sheet = writer.sheets["Service report"]
        sheet.freeze_panes = "A2"
        fmt = formats()
        number_formats = {"count": "#,##0", "seconds": "#,##0.0", "percent": "0.00",
                          "rating": "0.00"}
        for i, header in enumerate(shown.columns, start=1):
            letter = sheet.cell(row=1, column=i).column_letter
            longest = max([len(header), *(len(str(v)) for v in shown[header] if v is not None)])
            sheet.column_dimensions[letter].width = longest + 2
            if fmt[header] in number_formats:
                for row in range(2, len(shown) + 2):
                    sheet.cell(row=row, column=i).number_format = number_formats[fmt[header]]
        writer.sheets["About"].column_dimensions["A"].width = 14
        writer.sheets["About"].column_dimensions["B"].width = 120
    return out.getvalue()


# --- PDF --------------------------------------------------------------------------------------
def _font_dir() -> Path | None:
    for folder in FONT_DIRS:
        if all((folder / f).exists() for f in FONT_FILES.values()):
            return folder
    return None


def _latin1(text: str) -> str:
    """Text for the built-in font: typographic characters as their ASCII look-alikes, any
    other character outside Latin-1 as "?" (only without a Unicode font)."""
    for a, b in (("–", "-"), ("—", "-"), ("−", "-"), ("÷", "/"), ("×", "x"), ("→", "->"),
                 ("’", "'"), ("“", '"'), ("”", '"'), ("…", "...")):
        text = text.replace(a, b)
    return text.encode("latin-1", "replace").decode("latin-1")


class _Pdf(FPDF):
    def __init__(self, info: ReportInfo) -> None:
        super().__init__(orientation="landscape", unit="mm", format="A4")
        self.info = info
        folder = _font_dir()
        self.unicode = folder is not None
        if folder is not None:
            for style, name in FONT_FILES.items():
                self.add_font("Report", style, str(folder / name))
            self.family = "Report"
        else:
            self.family = "helvetica"
        self.set_margins(10, 10, 10)
        self.set_auto_page_break(True, margin=12)
        self.set_title(info.title)
        self.set_creator("Njia")

    def text_of(self, text: str) -> str:
        return text if self.unicode else _latin1(text)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(self.family, "", 7)
        self.cell(0, 5, self.text_of(f"{self.info.title} · {self.info.project} · "
                                     f"{self.info.period} · page {self.page_no()}/{{nb}}"),
                  align="R")


# Column widths (mm) of the landscape page's 277 mm: text columns, then the nine metrics.
WIDTHS = (19, 20, 58, 18, 22, 18, 22, 22, 16, 16, 19, 21)


def to_pdf(shown: pd.DataFrame, info: ReportInfo) -> bytes:
    pdf = _Pdf(info)
    pdf.add_page()
    pdf.set_font(pdf.family, "B", 16)
    pdf.cell(0, 9, pdf.text_of(info.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.family, "", 10)
    for line in (f"Project: {info.project}", f"Period: {info.period}",
                 f"Generated: {info.generated}"):
        pdf.cell(0, 5.5, pdf.text_of(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    fmt = formats()
    headers = list(shown.columns)
    if len(headers) != len(WIDTHS):
        raise ValueError(f"the PDF lays out {len(WIDTHS)} columns, the table has {len(headers)}")
    pdf.set_font(pdf.family, "", 7.5)
    with pdf.table(
        col_widths=WIDTHS,
        text_align=tuple("LEFT" if fmt[h] == "text" else "RIGHT" for h in headers),
        headings_style=FontFace(emphasis="BOLD", fill_color=(230, 236, 242)),
        borders_layout="HORIZONTAL_LINES",
        line_height=4.2,
        padding=1,
        width=sum(WIDTHS),
    ) as grid:
        heading = grid.row()
        for h in headers:
            heading.cell(pdf.text_of(h))
        for values in shown.itertuples(index=False):
            row = grid.row()
            for h, value in zip(headers, values, strict=True):
                row.cell(pdf.text_of(pdf_cell(fmt[h], value)))
    pdf.ln(4)
    pdf.set_font(pdf.family, "B", 8)
    pdf.cell(0, 5, "Definitions", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.family, "", 7)
    for paragraph in footnote():
        pdf.multi_cell(0, 3.4, pdf.text_of(paragraph), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    return bytes(pdf.output())
