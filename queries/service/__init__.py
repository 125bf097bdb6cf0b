"""The KRA service report: self-serve vs assisted per service, and the web journeys.

`NAMED` lists this area's named queries; queries/catalog.py adds them to the catalog. The SQL is
built by queries/service/report.py (its web rows follow config/journeys.toml); the columns'
definitions are in queries/definitions/service_report.toml.
"""

from __future__ import annotations

from queries.named import NamedQuery
from queries.service import report
from queries.service.params import ServiceReportParams, example

NAMED: list[NamedQuery] = [
    NamedQuery(
        "service_report", ServiceReportParams,
        "KRA service report for a period, one table: WhatsApp conversations per service "
        "(first service_name, else first AI intent, else unclassified) as All, Self-serve "
        "(never handed off) and Assisted (handed off), each with an All services row; then "
        "the web journeys of config/journeys.toml (sessions that entered / completed them). "
        "Columns: started, resolved (completed), dropped, average first response and "
        "resolution time (s), CSAT mean, % 4–5 and responses, escalation rate (%)",
        builder=report.build, example=example()),
]
