"""The KRA service report (queries/service/, docs/metrics.md "KRA service report") through the
real stack on a hand-built month, with every row worked out by hand; the page under AppTest; its
CSV, XLSX and PDF read back and compared cell by cell with the table the page shows; `njia query
service-report` prints the same table.

The month M is the one before last (so the page offers it, and nothing in it is in the future);
times are EAT. Conversations (WhatsApp numbers A–G; "bot" answers first):

  C0 G  M-1's last day 23:59: received + bot reply — before the period, never counted.
  C1 A  M's last day 23:58:00 received; :02 classified file_nil_return; :05 bot reply (first
        response 5 s); next day 00:03:00 chat.resolved service_name "Returns Filing"
        (resolution 300 s, after the period's end: still counted); CSAT 5.
        → Returns Filing, self-serve, resolved.
  C2 B  day 10 11:00:00 received; :01 classified pin_retrieval; :11 bot reply (11 s); nothing
        else (answered, so not dropped).               → pin_retrieval, self-serve, open.
  C3 C  day 12 12:00 received, nothing else.           → unclassified, self-serve, dropped.
  C4 D  day 10 09:00:00 received; :01 classified tot_filing; :20 bot reply (20 s); :30 hand-off;
        09:02 assigned; 09:05 agent reply; 09:06 received; 09:07 agent reply; 09:20 chat.resolved
        service_name "Returns Filing" (1200 s); CSAT 2 at 09:21, then 3 at 09:25 (the latest
        counts).                                        → Returns Filing, assisted, resolved.
  C5 E  day 10 14:00:00 received; :02 classified payment_status; :10 bot reply (10 s); :20
        hand-off carrying service_name "Payments" (a service_name beats an earlier intent);
        14:05 received, never answered.                → Payments, assisted, dropped.
  C6 F  day 10 15:00:00 received; :01 classified pin_retrieval; :31 bot reply (31 s); :40
        hand-off; 15:10 agent reply; 15:30 chat.resolved without service_name (1800 s); CSAT 4.
                                                       → pin_retrieval, assisted, resolved.

Web sessions (anonymous ids w1–w9):
  W1 day 10: lands on / then /nil-return, /nil-return/details, return_filed NIL → NIL started,
     completed (a session need not land on the journey's page).
  W2 day 10: /tot-return, leaves → TOT started.
  W3 day 10: lands on /mri-return/details (below the entry page), files MRI → MRI completed.
  W4 day 10: /nil-return, files a TOT return → NIL started (not completed); TOT not started.
  W5 day 10: /nil-return-help and /help → no journey (a prefix is not a page below).
  W6 day 10: a crawler on /nil-return filing NIL → never counted.
  W7 M-1's last day 23:50 /nil-return, files NIL at 00:10 on M's first day → started before
     the period: not counted.
  W8 M's last day 23:50 /tot-return, files TOT at 00:10 the next day → TOT completed (the
     session keeps its events after the period's end).
  W9 day 10: /nil-return, then /tot-return, files TOT → NIL started; TOT started and completed.

Month M:  NIL 3 started (W1 W4 W9), 1 completed;  TOT 3 (W2 W8 W9), 2;  MRI 1 (W3), 1.
Day 10 alone (the sidebar range): C2 C4 C5 C6; NIL 3 / 1, TOT 2 / 1 (W2 W9), MRI 1 / 1.
"""

from __future__ import annotations

import calendar
import io
import json
import math
import subprocess
import sys
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from metadata import users
from metadata.access import OPERATOR
from queries.runner import run
from queries.serialize import records
from queries.service.params import month_dates, months_back
from queries.service.report import build, property_column
from queries.timerange import today_in
from tests.test_queries_dataset import BOT_UA, crm, new_project, post_crm, post_web, web
from tests.test_workbench_auth import PASSWORD, signed_in_app
from workbench import exports

EAT = ZoneInfo("Africa/Nairobi")


def _month_before_last(today: date) -> date:
    year, month = today.year, today.month - 2
    if month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


M_FIRST = _month_before_last(today_in("Africa/Nairobi"))
M_LAST = M_FIRST.replace(day=calendar.monthrange(M_FIRST.year, M_FIRST.month)[1])
DAY10 = M_FIRST.replace(day=10)
DAY12 = M_FIRST.replace(day=12)
PREV_LAST = M_FIRST - timedelta(days=1)
NEXT_FIRST = M_LAST + timedelta(days=1)
MONTH = {"from": M_FIRST.isoformat(), "to": M_LAST.isoformat()}
ONE_DAY = {"from": DAY10.isoformat(), "to": DAY10.isoformat()}
PHONES = {k: f"+2547110002{i:02d}" for i, k in enumerate("ABCDEFG")}


def eat(day: date, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=EAT)


def _chat(who: str, *events: tuple[str, datetime, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for i, (name, at, data) in enumerate(events):
        message_id = f"{who}-{i}" if name.startswith("message.") else ""
        out.append(crm(name, at, PHONES[who], message_id, **data))
    return out


BOT = {"agent_id": "bot"}


def whatsapp_events() -> list[dict[str, Any]]:
    return [
        *_chat("G", ("message.received", eat(PREV_LAST, 23, 59), {}),
               ("message.sent", eat(PREV_LAST, 23, 59, 30), BOT)),
        *_chat("A", ("message.received", eat(M_LAST, 23, 58), {}),
               ("ai.classification", eat(M_LAST, 23, 58, 2),
                {"intent": "file_nil_return", "confidence": 0.9}),
               ("message.sent", eat(M_LAST, 23, 58, 5), BOT),
               ("chat.resolved", eat(NEXT_FIRST, 0, 3),
                {"service_name": "Returns Filing", "agent_id": "bot"}),
               ("csat.submitted", eat(NEXT_FIRST, 0, 4), {"rating": 5})),
        *_chat("B", ("message.received", eat(DAY10, 11), {}),
               ("ai.classification", eat(DAY10, 11, 0, 1),
                {"intent": "pin_retrieval", "confidence": 0.8}),
               ("message.sent", eat(DAY10, 11, 0, 11), BOT)),
        *_chat("C", ("message.received", eat(DAY12, 12), {})),
        *_chat("D", ("message.received", eat(DAY10, 9), {}),
               ("ai.classification", eat(DAY10, 9, 0, 1),
                {"intent": "tot_filing", "confidence": 0.7}),
               ("message.sent", eat(DAY10, 9, 0, 20), BOT),
               ("agent.handoff", eat(DAY10, 9, 0, 30), {"agent_id": "agent-1"}),
               ("chat.assigned", eat(DAY10, 9, 2), {"agent_id": "agent-1"}),
               ("message.sent", eat(DAY10, 9, 5), {"agent_id": "agent-1"}),
               ("message.received", eat(DAY10, 9, 6), {}),
               ("message.sent", eat(DAY10, 9, 7), {"agent_id": "agent-1"}),
               ("chat.resolved", eat(DAY10, 9, 20),
                {"service_name": "Returns Filing", "agent_id": "agent-1"}),
               ("csat.submitted", eat(DAY10, 9, 21), {"rating": 2}),
               ("csat.submitted", eat(DAY10, 9, 25), {"rating": 3})),
        *_chat("E", ("message.received", eat(DAY10, 14), {}),
               ("ai.classification", eat(DAY10, 14, 0, 2),
                {"intent": "payment_status", "confidence": 0.95}),
               ("message.sent", eat(DAY10, 14, 0, 10), BOT),
               ("agent.handoff", eat(DAY10, 14, 0, 20),
                {"agent_id": "agent-2", "service_name": "Payments"}),
               ("message.received", eat(DAY10, 14, 5), {})),
        *_chat("F", ("message.received", eat(DAY10, 15), {}),
               ("ai.classification", eat(DAY10, 15, 0, 1),
                {"intent": "pin_retrieval", "confidence": 0.6}),
               ("message.sent", eat(DAY10, 15, 0, 31), BOT),
               ("agent.handoff", eat(DAY10, 15, 0, 40), {"agent_id": "agent-3"}),
               ("message.sent", eat(DAY10, 15, 10), {"agent_id": "agent-3"}),
               ("chat.resolved", eat(DAY10, 15, 30), {"agent_id": "agent-3"}),
               ("csat.submitted", eat(DAY10, 15, 31), {"rating": 4})),
    ]


def _filed(day: date, hh: int, mm: int, anon: str, obligation: str, path: str,
           **kw: Any) -> dict[str, Any]:
    return web("return_filed", eat(day, hh, mm), anon, anon, path,
               props={"obligation": obligation}, **kw)


def web_events() -> list[dict[str, Any]]:
    def pv(day: date, hh: int, mm: int, anon: str, path: str, **kw: Any) -> dict[str, Any]:
        return web("page_view", eat(day, hh, mm), anon, anon, path, **kw)

    return [
        pv(DAY10, 10, 0, "w1", "/"), pv(DAY10, 10, 1, "w1", "/nil-return"),
        pv(DAY10, 10, 3, "w1", "/nil-return/details"),
        _filed(DAY10, 10, 5, "w1", "NIL", "/nil-return/confirm"),
        pv(DAY10, 10, 0, "w2", "/tot-return"),
        pv(DAY10, 10, 0, "w3", "/mri-return/details"),
        _filed(DAY10, 10, 4, "w3", "MRI", "/mri-return/confirm"),
        pv(DAY10, 10, 0, "w4", "/nil-return"),
        _filed(DAY10, 10, 6, "w4", "TOT", "/nil-return/confirm"),
        pv(DAY10, 10, 0, "w5", "/nil-return-help"), pv(DAY10, 10, 2, "w5", "/help"),
        pv(DAY10, 10, 0, "w6", "/nil-return", ua=BOT_UA),
        _filed(DAY10, 10, 2, "w6", "NIL", "/nil-return/confirm", ua=BOT_UA),
        pv(PREV_LAST, 23, 50, "w7", "/nil-return"), pv(PREV_LAST, 23, 58, "w7", "/nil-return"),
        pv(M_FIRST, 0, 5, "w7", "/nil-return/details"),
        _filed(M_FIRST, 0, 10, "w7", "NIL", "/nil-return/confirm"),
        pv(M_LAST, 23, 50, "w8", "/tot-return"), pv(M_LAST, 23, 58, "w8", "/tot-return"),
        pv(NEXT_FIRST, 0, 5, "w8", "/tot-return/details"),
        _filed(NEXT_FIRST, 0, 10, "w8", "TOT", "/tot-return/confirm"),
        pv(DAY10, 10, 0, "w9", "/nil-return"), pv(DAY10, 10, 2, "w9", "/tot-return"),
        _filed(DAY10, 10, 8, "w9", "TOT", "/tot-return/confirm"),
    ]


COLUMNS = ["channel", "kind", "service", "started", "resolved", "dropped",
           "avg_first_response_s", "avg_resolution_s", "csat", "csat_satisfied_pct",
           "csat_responses", "escalation_rate"]
N = None


def row(channel: str, kind: str, service: str, *values: Any) -> dict[str, Any]:
    return dict(zip(COLUMNS, (channel, kind, service, *values), strict=True))


def web_row(name: str, started: int, completed: int) -> dict[str, Any]:
    return row("Web", "Journey", name, started, completed, started - completed, N, N, N, N, N, N)


# Worked out in the module docstring: started, resolved, dropped, avg first response, avg
# resolution, CSAT, CSAT 4–5 %, CSAT responses, escalation %.
MONTH_ROWS = [
    # All: frt (5+11+20+10+31)/5, resolution (300+1200+1800)/3, CSAT (5+3+4)/3 (C4's latest).
    row("WhatsApp", "All", "All services", 6, 3, 2, 15.4, 1100.0, 4.0, 66.67, 3, 50.0),
    row("WhatsApp", "All", "Returns Filing", 2, 2, 0, 12.5, 750.0, 4.0, 50.0, 2, 50.0),
    row("WhatsApp", "All", "pin_retrieval", 2, 1, 0, 21.0, 1800.0, 4.0, 100.0, 1, 50.0),
    row("WhatsApp", "All", "Payments", 1, 0, 1, 10.0, N, N, N, 0, 100.0),
    row("WhatsApp", "All", "unclassified", 1, 0, 1, N, N, N, N, 0, 0.0),
    row("WhatsApp", "Self-serve", "All services", 3, 1, 1, 8.0, 300.0, 5.0, 100.0, 1, N),
    row("WhatsApp", "Self-serve", "Returns Filing", 1, 1, 0, 5.0, 300.0, 5.0, 100.0, 1, N),
    row("WhatsApp", "Self-serve", "pin_retrieval", 1, 0, 0, 11.0, N, N, N, 0, N),
    row("WhatsApp", "Self-serve", "unclassified", 1, 0, 1, N, N, N, N, 0, N),
    # Assisted: frt (20+10+31)/3 = 20.33…, resolution (1200+1800)/2, CSAT (3+4)/2.
    row("WhatsApp", "Assisted", "All services", 3, 2, 1, 20.3, 1500.0, 3.5, 50.0, 2, N),
    row("WhatsApp", "Assisted", "Returns Filing", 1, 1, 0, 20.0, 1200.0, 3.0, 0.0, 1, N),
    row("WhatsApp", "Assisted", "pin_retrieval", 1, 1, 0, 31.0, 1800.0, 4.0, 100.0, 1, N),
    row("WhatsApp", "Assisted", "Payments", 1, 0, 1, 10.0, N, N, N, 0, N),
    web_row("NIL return", 3, 1),
    web_row("Turnover Tax return", 3, 2),
    web_row("Monthly Rental Income return", 1, 1),
]
DAY_ROWS = [
    row("WhatsApp", "All", "All services", 4, 2, 1, 18.0, 1500.0, 3.5, 50.0, 2, 75.0),
    row("WhatsApp", "All", "pin_retrieval", 2, 1, 0, 21.0, 1800.0, 4.0, 100.0, 1, 50.0),
    row("WhatsApp", "All", "Payments", 1, 0, 1, 10.0, N, N, N, 0, 100.0),
    row("WhatsApp", "All", "Returns Filing", 1, 1, 0, 20.0, 1200.0, 3.0, 0.0, 1, 100.0),
    row("WhatsApp", "Self-serve", "All services", 1, 0, 0, 11.0, N, N, N, 0, N),
    row("WhatsApp", "Self-serve", "pin_retrieval", 1, 0, 0, 11.0, N, N, N, 0, N),
    row("WhatsApp", "Assisted", "All services", 3, 2, 1, 20.3, 1500.0, 3.5, 50.0, 2, N),
    row("WhatsApp", "Assisted", "pin_retrieval", 1, 1, 0, 31.0, 1800.0, 4.0, 100.0, 1, N),
    row("WhatsApp", "Assisted", "Payments", 1, 0, 1, 10.0, N, N, N, 0, N),
    row("WhatsApp", "Assisted", "Returns Filing", 1, 1, 0, 20.0, 1200.0, 3.0, 0.0, 1, N),
    web_row("NIL return", 3, 1),
    web_row("Turnover Tax return", 2, 1),
    web_row("Monthly Rental Income return", 1, 1),
]


@pytest.fixture(scope="module")
def project(stack) -> str:
    created = new_project(stack)
    post_web(stack, created, web_events())
    post_crm(stack, created, whatsapp_events())
    stack.drain()
    return created["project_id"]


def report(project: str, dates: dict[str, str]) -> list[dict[str, Any]]:
    return records(run("service_report", {"project": project, **dates}, OPERATOR))


# --- the query ------------------------------------------------------------------------------
def test_the_month(project):
    assert report(project, MONTH) == MONTH_ROWS


def test_one_day(project):
    assert report(project, ONE_DAY) == DAY_ROWS


def test_an_empty_period_keeps_the_report_s_shape(project):
    empty = {"from": "2020-01-01", "to": "2020-01-31"}
    assert report(project, empty) == [
        row("WhatsApp", "All", "All services", 0, 0, 0, N, N, N, N, 0, 0.0),
        row("WhatsApp", "Self-serve", "All services", 0, 0, 0, N, N, N, N, 0, N),
        row("WhatsApp", "Assisted", "All services", 0, 0, 0, N, N, N, N, 0, N),
        web_row("NIL return", 0, 0),
        web_row("Turnover Tax return", 0, 0),
        web_row("Monthly Rental Income return", 0, 0),
    ]


def test_journeys_come_from_the_config_and_values_are_bound():
    from metadata.projects import ProjectSettings
    from queries.service.params import ServiceReportParams

    params = ServiceReportParams.model_validate({"project": "p", **MONTH})
    sql = build(params)
    # Pages, event names and values are parameters, not SQL text; a completion filter's
    # property is read as a subcolumn: its (config's) name is a quoted identifier.
    assert "/nil-return" not in sql and "NIL" not in sql and "return_filed" not in sql
    assert "properties.`obligation`" in sql
    bound = params.bind(ProjectSettings())
    assert bound["journey_names"] == ["NIL return", "Turnover Tax return",
                                      "Monthly Rental Income return"]
    assert (bound["j0_p0"], bound["j0_p0_below"], bound["c0_event"], bound["c0_f0_value"]) == (
        "/nil-return", "/nil-return/", "return_filed", "NIL")
    for bad in ("a`b", "a b", "x.y", "", "1x"):
        with pytest.raises(ValueError, match="property name"):
            property_column(bad)


def test_other_journey_definitions(project, monkeypatch):
    """The builder follows whatever config/journeys.toml says: several entry pages, an `in`
    filter on a property, a column filter (`contains` on page_path) on another event."""
    from config.journeys import Journey
    from queries.service import params as service_params
    from queries.service import report as service_report

    step = {"event": "page_view"}
    custom = (
        Journey(id="both", name="NIL or TOT", entry_pages=("/nil-return", "/tot-return"),
                steps=(step,), completion={"event": "return_filed", "filters": [
                    {"key": "obligation", "op": "in", "value": ["NIL", "TOT"]}]}),
        Journey(id="help", name="Help", entry_pages=("/help",), steps=(step,),
                completion={"event": "page_view", "filters": [
                    {"key": "page_path", "op": "contains", "value": "HELP"}]}),
    )
    monkeypatch.setattr(service_params, "journeys", lambda: custom)
    monkeypatch.setattr(service_report, "journeys", lambda: custom)
    web = [r for r in report(project, ONE_DAY) if r["channel"] == "Web"]
    # Day 10: /nil-return* or /tot-return*: W1 W2 W4 W9, of which W1 (NIL), W4 and W9 (TOT)
    # filed; /help: W5, whose page views contain "help" (case-insensitive).
    assert web == [web_row("NIL or TOT", 4, 3), web_row("Help", 1, 1)]


# --- the page and its exports -----------------------------------------------------------------
@pytest.fixture(scope="module")
def analyst(project) -> str:
    users.add_user("service-analyst", PASSWORD, role="analyst", projects=[project])
    return "service-analyst"


def open_page(analyst: str, project: str, dates: dict[str, str] = ONE_DAY):
    at = signed_in_app(analyst, {"project": project, "range": "custom",
                                 "dates": [dates["from"], dates["to"]]})
    at.switch_page("app_pages/service_report.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def page_table(at) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "Service / journey" in d.value.columns)


def as_query_rows(shown: pd.DataFrame) -> list[dict[str, Any]]:
    """The page's table under the query's column names (its values unchanged)."""
    names = {label: column for column, label in exports.labels().items()}
    return records(shown.rename(columns=names))


@pytest.fixture
def files(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[bytes]]:
    """What the page's download buttons were given (a spy on the real writers, not a mock);
    the page's cache of built files is emptied so this run builds them."""
    import streamlit as st

    st.cache_data.clear()
    seen: dict[str, list[bytes]] = {"csv": [], "xlsx": [], "pdf": []}
    for kind in seen:
        real = getattr(exports, f"to_{kind}")

        def spy(*args: Any, _real=real, _kind=kind, **kw: Any) -> bytes:
            out = _real(*args, **kw)
            seen[_kind].append(out)
            return out

        monkeypatch.setattr(exports, f"to_{kind}", spy)
    return seen


def test_the_page_shows_the_range_by_default(stack, project, analyst):
    at = open_page(analyst, project)
    assert [t.value for t in at.title] == ["KRA service report"]
    assert at.selectbox(key="service_report_period").value == "range"
    assert as_query_rows(page_table(at)) == DAY_ROWS
    assert [b.label for b in at.get("download_button")] == [
        "CSV", "Excel (XLSX)", "PDF", "Download CSV"]  # the last: the query's own CSV
    assert any(e.label == "SQL" for e in at.expander)


def _same(shown: Any, read: Any) -> bool:
    if shown is None:
        return read is None or read == "" or (isinstance(read, float) and math.isnan(read))
    if isinstance(shown, str):
        return read == shown
    return float(read) == float(shown)


def _pdf_rows(pdf: bytes) -> list[list[str]]:
    """The PDF's table as text: each line of fragments at one height, left to right (the
    title lines and the definitions are not table rows: they start with other words)."""
    lines: dict[tuple[int, float], list[tuple[float, str]]] = {}
    for number, page in enumerate(PdfReader(io.BytesIO(pdf)).pages):
        def visit(text: str, cm: Any, tm: Any, font: Any, size: Any, number: int = number
                  ) -> None:
            if text.strip():
                lines.setdefault((number, -round(tm[5], 1)), []).append((tm[4], text.strip()))
        page.extract_text(visitor_text=visit)
    return [[t for _, t in sorted(cells)] for _, cells in sorted(lines.items())]


def test_the_exports_hold_the_table_on_the_page(stack, project, analyst, files):
    at = open_page(analyst, project)
    month = M_FIRST.strftime("%Y-%m")
    at.selectbox(key="service_report_period").set_value(month).run()
    assert not at.exception, [e.message for e in at.exception]
    shown = page_table(at)
    assert as_query_rows(shown) == MONTH_ROWS
    headers = list(shown.columns)
    cells = shown.astype(object).where(shown.notna(), None).values.tolist()
    # Built once for the range the page opened on, once for the month.
    assert len(files["csv"]) == len(files["xlsx"]) == len(files["pdf"]) == 2

    # CSV
    read = pd.read_csv(io.BytesIO(files["csv"][-1]), keep_default_na=False)
    assert list(read.columns) == headers
    for want, got in zip(cells, read.values.tolist(), strict=True):
        assert all(_same(w, g) for w, g in zip(want, got, strict=True)), (want, got)

    # XLSX: the table from A1 on its own sheet; title and definitions on "About"
    book = openpyxl.load_workbook(io.BytesIO(files["xlsx"][-1]))
    sheet = book["Service report"]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == headers
    assert len(values) == len(cells) + 1
    for want, got in zip(cells, values[1:], strict=True):
        assert all(_same(w, g) for w, g in zip(want, got, strict=True)), (want, got)
    about = {r[0]: r[1] for r in book["About"].iter_rows(values_only=True) if r[0]}
    assert about["Project"] == project and M_FIRST.strftime("%B %Y") in about["Period"]

    # PDF: title, project, period, every row's cells as printed, the definitions
    rows = _pdf_rows(files["pdf"][-1])
    text = "\n".join(" ".join(r) for r in rows)
    assert rows[0] == ["KRA service report"]
    assert f"Project: {project}" in text and M_FIRST.strftime("%B %Y") in text
    fmt = exports.formats()
    printed = [[exports.pdf_cell(fmt[h], v) for h, v in zip(headers, r, strict=True)]
               for r in cells]
    table_rows = [r for r in rows if r[:1] in (["WhatsApp"], ["Web"])]
    assert table_rows == printed
    for header in headers:  # headings may wrap over two lines
        assert all(word in text for word in header.split())
    assert "Definitions" in text
    for paragraph in exports.footnote()[1:]:
        assert paragraph.split(":")[0] in text


def test_page_and_cli_print_the_same_table(stack, project, analyst):
    at = open_page(analyst, project)
    cli = subprocess.run(
        [sys.executable, "-m", "cli", "query", "service-report", "--project", project,
         "--from", ONE_DAY["from"], "--to", ONE_DAY["to"]],
        capture_output=True, text=True, env=stack.env, timeout=120, check=True)
    assert json.loads(cli.stdout) == as_query_rows(page_table(at)) == DAY_ROWS


def test_months_offered():
    assert months_back(date(2026, 2, 14), 3) == ["2026-02", "2026-01", "2025-12"]
    assert month_dates("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
