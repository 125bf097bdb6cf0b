"""KRA service report: for a period, WhatsApp conversations per service — self-serve (bot only)
vs assisted (handed off) — and the web journeys (NIL, TOT, MRI) as rows of one table, which
downloads as CSV, Excel (XLSX) or PDF.

The period is the sidebar's range or a whole month (KRA reports monthly). The report always
covers both channels: the sidebar's channel filter does not apply to it (the caption says so).
Definitions: queries/definitions/service_report.toml (also the columns' tooltips, the PDF's
footnote and docs/metrics.md).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from queries.definitions import area
from queries.service.params import month_dates, months_back
from queries.timerange import today_in
from workbench import components, exports, filters, formatters
from workbench.reads import load

RANGE = "range"
MONTHS_OFFERED = 24
PERIOD_KEY = "service_report_period"


@st.cache_data(max_entries=50, show_spinner=False)
def report_files(shown: pd.DataFrame, project: str, period: str,
                 _generated: str) -> tuple[bytes, bytes, bytes]:
    """(CSV, XLSX, PDF) of the table shown, built once per table and period (`_generated`, the
    time written in the files, is that of the first build: not part of the cache key)."""
    info = exports.ReportInfo(project=project, period=period, generated=_generated)
    return exports.to_csv(shown), exports.to_xlsx(shown, info), exports.to_pdf(shown, info)


def column_config(shown: pd.DataFrame) -> dict[str, object]:
    """Each column's tooltip (its definition) and number format; the text columns stay in view
    when the table scrolls sideways. (An empty cell shows as Streamlit's "None": the column
    does not apply to the row, or nothing had a value.)"""
    definitions = exports.definitions()
    by_label = {label: column for column, label in exports.labels().items()}
    number = {"count": "localized", "seconds": "%.1f", "rating": "%.2f", "percent": "%.2f"}
    config: dict[str, object] = {}
    for label in shown.columns:
        column = by_label[label]
        if column in exports.TEXT_COLUMNS:
            config[label] = st.column_config.TextColumn(label, pinned=True)
        else:
            found = definitions[column]
            config[label] = st.column_config.NumberColumn(
                label, help=exports.plain(found.help), format=number[found.format])
    return config


f = filters.current()
st.title("KRA service report")

today = today_in(f.tz)
range_label = f"This range ({formatters.date_span(f.date_from, f.date_to)})"


def period_label(value: str) -> str:
    if value == RANGE:
        return range_label
    first, last = month_dates(value)
    name = first.strftime("%B %Y")
    return f"{name} (so far)" if first <= today <= last else name


choice = st.selectbox(
    "Period", [RANGE, *months_back(today, MONTHS_OFFERED)], format_func=period_label,
    key=PERIOD_KEY,
    help="The sidebar's date range, or a whole calendar month in the project's time zone "
         "(KRA's report is monthly). A conversation or session counts in the period it started.")
if choice == RANGE:
    date_from, date_to = f.date_from, f.date_to
    period = f"{formatters.date_span(date_from, date_to)} ({f.tz})"
else:
    date_from, date_to = month_dates(choice)
    # The month so far: nothing can have started after today.
    date_to = min(date_to, max(today, date_from))
    period = (f"{period_label(choice)} ({formatters.date_span(date_from, date_to)}, {f.tz})"
              .replace(" (so far) (", " so far ("))
st.caption(f"{f.project} · {period} · WhatsApp and web rows, whatever the sidebar's channel "
           "filter")
components.model_notice(f.project)

params = {"project": f.project, "from": date_from.isoformat(), "to": date_to.isoformat()}
df = load("service_report", params)
shown = exports.table(df)

if not len(df) or not df["started"].sum():
    st.info(f"No WhatsApp conversation started in {f.project} in this period, and no web "
            "session entered a filing journey: every count below is 0. Pick another period, or "
            "check that events are arriving (Live feed).")
st.dataframe(shown, hide_index=True, width="stretch", key="service_report_table",
             column_config=column_config(shown), height=min(38 + 35 * len(shown), 900))

generated = datetime.now(ZoneInfo(f.tz)).strftime("%Y-%m-%d %H:%M ") + f.tz_label
csv_bytes, xlsx_bytes, pdf_bytes = report_files(shown, f.project, period, generated)
stem = f"service-report-{f.project}-{date_from.isoformat()}-{date_to.isoformat()}"
st.caption("Download the report:")
csv_col, xlsx_col, pdf_col, _ = st.columns([1, 1, 1, 3])
csv_col.download_button("CSV", data=csv_bytes, file_name=f"{stem}.csv", mime=exports.CSV_MIME,
                        key="service_report_csv", icon=":material/download:")
xlsx_col.download_button("Excel (XLSX)", data=xlsx_bytes, file_name=f"{stem}.xlsx",
                         mime=exports.XLSX_MIME, key="service_report_xlsx",
                         icon=":material/download:")
pdf_col.download_button("PDF", data=pdf_bytes, file_name=f"{stem}.pdf", mime=exports.PDF_MIME,
                        key="service_report_pdf", icon=":material/download:")
components.query_details("service_report", params, df, key="service_report")

with st.expander("How the rows and columns are defined"):
    found = area(exports.AREA)
    st.markdown(found.intro)
    st.markdown("\n".join(f"- **{label}**: {found.metrics[column].help}"
                          for column, label in exports.labels().items()
                          if column in found.metrics))
