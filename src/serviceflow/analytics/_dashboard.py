"""The KPI dashboard: one self-contained HTML file with charts, tables and a legend.

Everything is inline (style, SVG charts), nothing is fetched, and no script runs, so the
file can be mailed, archived and opened offline. All text from the log (category, team and
agent names) is escaped. The charts need the ``reports`` extra (pygal).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from html import escape
from pathlib import Path

from serviceflow.analytics._kpi_set import KpiReport
from serviceflow.analytics._kpi_tables import headline, slice_order, slice_table, tier_order
from serviceflow.analytics._report import tables
from serviceflow.analytics._table import Figure, Table, format_cell
from serviceflow.clock import require_aware
from serviceflow.domain.policy._policy import Policy
from serviceflow.errors import ValidationError

DOCS_URL = "https://github.com/serviceflow/serviceflow/blob/main/docs/metrics.md"
"""Where every KPI is defined; the dashboard's only link."""

LEGEND: tuple[tuple[str, str], ...] = (
    (
        "Cases",
        "cases with anything in the period: submitted, answered, resolved, closed, "
        "cancelled, still open, or a survey or review recorded.",
    ),
    (
        "First response time",
        "from submission to the first agent message; per case that got it in the period.",
    ),
    (
        "Resolution time",
        "from submission to the first resolution (full resolution: to the "
        "last one), per case resolved in the period; wall-clock and business hours.",
    ),
    (
        "FCR",
        "cases resolved in the period without a reopen, transfer, escalation or the "
        "client having to come back, out of all cases resolved in the period.",
    ),
    ("Reopened, transferred", "out of the cases resolved in the period."),
    (
        "Escalated, repeat issue",
        "out of the cases submitted in the period; a repeat is a "
        "case from the same requester and category within the repeat window.",
    ),
    (
        "SLA compliance",
        "clock cycles met, out of met plus breached: a met clock counts in the "
        "period it stopped, a breached one in the period it fell due; open clocks wait.",
    ),
    ("Backlog", "cases still open at the end of the period, aged from submission."),
    (
        "Time per tier",
        "how long each escalation tier held a case (a stint still running "
        "counts up to the end of the period).",
    ),
    ("CSAT", "answers of 4 or 5 on a 1–5 scale, out of all CSAT answers in the period."),
    ("NPS", "% promoters (9–10) minus % detractors (0–6) of the NPS answers, −100 to 100."),
    ("CES", "the mean answer on 1–7 to 'how easy was it?': higher means less effort."),
    (
        "Percentiles",
        "p50 is the median case, p90 the case slower than nine in ten. IQR "
        "(p75 − p25) and CV (standard deviation over the mean) measure consistency: smaller "
        "is steadier.",
    ),
)
"""Each KPI and what it is counted out of, as the dashboard's legend says it."""
_CHART_ONLY = frozenset({"volume"})
"""Tables the page leaves to their chart (the exports keep them)."""
_WIDE_TABLE = 7
"""Tables with more columns than this take the page's full width."""


def render_dashboard(
    report: KpiReport,
    *,
    generated_at: datetime,
    priorities: KpiReport | None = None,
    policy: Policy | None = None,
    title: str = "Service desk report",
    docs_url: str = DOCS_URL,
) -> str:
    """The dashboard of ``report`` as one HTML page.

    ``priorities`` is the same period sliced by priority, for the SLA, resolution-time and
    backlog charts (``report`` itself serves when it is sliced by priority; without either,
    those charts are left out). With ``policy``, priorities and tiers keep its order.
    """
    try:
        from serviceflow.analytics import _charts as charts  # noqa: PLC0415 - the optional reports extra (pygal)
    except ImportError as missing:
        raise ImportError(
            f"the dashboard's charts need the 'reports' extra ({missing.name} is missing): "
            "pip install 'serviceflow[reports]'"
        ) from missing
    generated_at = require_aware(generated_at)
    if priorities is None and report.by == "priority":
        priorities = report
    if priorities is not None:
        _check_priorities(report, priorities)
    by_priority = slice_order(policy, "priority")
    days = charts.daily_volume(report)
    sections = [
        _chart_section(
            "Volume over time",
            _volume_caption(report, days, weekly=len(days) > charts.MAX_DAILY_BARS),
            charts.volume_chart(report),
            wide=True,
        )
    ]
    if priorities is not None:
        sections += [
            _chart_section(
                "SLA compliance by priority",
                "Share of decided SLA clocks that were met, for each SLA metric.",
                charts.sla_chart(priorities, by_priority),
            ),
            _chart_section(
                "Resolution time by priority",
                "Wall-clock time to the first resolution. A narrow box and a short whisker "
                "mean a consistent service.",
                charts.resolution_chart(priorities, by_priority),
            ),
        ]
    sections += [
        _chart_section(
            "Backlog ageing",
            "Cases open at the end of the period, by age"
            + (" and priority." if priorities is not None else "."),
            charts.backlog_chart(report, priorities, by_priority),
        ),
        _chart_section(
            "Escalations by tier",
            _escalation_caption(report),
            charts.tier_chart(report.overall, tier_order(policy)),
        ),
    ]
    found = [t for t in tables(report, policy) if t.name not in _CHART_ONLY]
    if priorities is not None and report.by != "priority":
        found.insert(3, slice_table(priorities, by_priority))
    return _page(
        title=title,
        subtitle=_period(report, generated_at, days),
        figures=headline(report.overall),
        charts="".join(sections),
        tables="".join(_table_html(t) for t in found),
        docs_url=docs_url,
    )


def write_dashboard(
    path: str | Path,
    report: KpiReport,
    *,
    generated_at: datetime,
    priorities: KpiReport | None = None,
    policy: Policy | None = None,
    title: str = "Service desk report",
    docs_url: str = DOCS_URL,
) -> Path:
    """Write the dashboard (see ``render_dashboard``) to ``path`` in UTF-8 and return it."""
    html = render_dashboard(
        report,
        generated_at=generated_at,
        priorities=priorities,
        policy=policy,
        title=title,
        docs_url=docs_url,
    )
    target = Path(path)
    target.write_text(html, encoding="utf-8")
    return target


def _check_priorities(report: KpiReport, other: KpiReport) -> None:
    """The priority charts must describe the report's period, sliced by priority."""
    problems = []
    if other.by != "priority":
        problems.append(f"priorities: sliced by {other.by or 'nothing'}, not by priority")
    if (report.start, report.end) != (other.start, other.end):
        problems.append(
            f"priorities: period {other.start} to {other.end} is not the report's "
            f"{report.start} to {report.end}"
        )
    if problems:
        raise ValidationError("dashboard", problems)


def _escalation_caption(report: KpiReport) -> str:
    escalated = report.overall.escalated
    share = f" ({escalated.value:.1%})" if escalated.value is not None else ""
    return (
        f"{escalated.numerator:,} of {escalated.denominator:,} submitted cases escalated"
        f"{share}. How long each tier held a case: the middle half, the median, p90 and p99."
    )


def _period(report: KpiReport, generated_at: datetime, days: Sequence[tuple[date, int]]) -> str:
    """The period in words; when its cases fill only part of it (``days``, the volume
    chart's days), also the days they were submitted on."""
    last = report.end - timedelta(microseconds=1)
    submitted = [day for day, n in days if n]
    if report.start is not None:
        start = f"{report.start:%d %b %Y %H:%M}"
    elif submitted:
        start = f"the first case ({submitted[0]:%d %b %Y})"
    else:
        start = "the first case"
    if report.start is not None and report.start.time() == report.end.time() == datetime.min.time():
        span = f"{report.start:%d %b %Y} – {last:%d %b %Y}"
    else:
        span = f"{start} – {report.end:%d %b %Y %H:%M}"
    covered = ""
    if submitted and (days[0][0], days[-1][0]) != _period_days(report, days):
        covered = f" · cases submitted {_days(submitted[0], submitted[-1])}"
    sliced = f" · by {report.by}" if report.by else ""
    return f"{span} (UTC){covered}{sliced} · generated {generated_at:%d %b %Y %H:%M} UTC"


def _period_days(report: KpiReport, days: Sequence[tuple[date, int]]) -> tuple[date, date]:
    """The first and last UTC day of the report's period (an open start: the first
    day ``days`` holds)."""
    last = (report.end - timedelta(microseconds=1)).date()
    return (report.start.date() if report.start is not None else days[0][0]), last


def _days(first: date, last: date) -> str:
    """``on 02 Mar 2026``, or ``02 Mar 2026 – 13 Mar 2026``."""
    return f"on {first:%d %b %Y}" if first == last else f"{first:%d %b %Y} – {last:%d %b %Y}"


def _volume_caption(report: KpiReport, days: Sequence[tuple[date, int]], *, weekly: bool) -> str:
    """What the volume chart counts (per day, or per week when ``weekly``), over which
    days, and the days of the period it leaves out for want of any submission."""
    unit = "week (UTC, each week named by its Monday)" if weekly else "day (UTC)"
    if not any(n for _, n in days):
        return f"Cases submitted per {unit}."
    first, last = days[0][0], days[-1][0]
    period_first, period_last = _period_days(report, days)
    shown = "" if (first, last) == (period_first, period_last) else f", {_days(first, last)}"
    quiet = [
        f"from {a:%d %b %Y} to {b:%d %b %Y}"
        for a, b in (
            (period_first, first - timedelta(days=1)),
            (last + timedelta(days=1), period_last),
        )
        if a <= b
    ]
    left_out = (
        f" Nothing was submitted {' or '.join(quiet)}, so the chart leaves "
        f"{'that' if len(quiet) == 1 else 'those'} days out."
        if quiet
        else ""
    )
    return f"Cases submitted per {unit}{shown}.{left_out}"


def _chart_section(title: str, caption: str, svg: str, *, wide: bool = False) -> str:
    return (
        f'<figure class="chart{" wide" if wide else ""}">'
        f"<figcaption><h2>{escape(title)}</h2><p>{escape(caption)}</p></figcaption>"
        f"{svg}</figure>"
    )


def _figure_html(figure: Figure) -> str:
    return (
        f'<div class="kpi"><div class="label">{escape(figure.label)}</div>'
        f'<div class="value">{escape(figure.text())}</div>'
        f'<div class="detail">{escape(figure.detail)}</div></div>'
    )


def _table_html(table: Table) -> str:
    head = "".join(
        f'<th class="{_align(c.kind)}" scope="col">{escape(c.label)}</th>' for c in table.columns
    )
    rows = []
    for row in table.rows:
        cells = []
        for value, column in zip(row, table.columns, strict=True):
            shown = escape(format_cell(value, column.kind))
            exact = (
                f' title="{value:,.0f} s"'
                if column.kind == "seconds" and isinstance(value, int | float)
                else ""
            )
            cells.append(f'<td class="{_align(column.kind)}"{exact}>{shown}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    if not rows:
        rows.append(
            f'<tr><td class="empty" colspan="{len(table.columns)}">nothing in this period</td></tr>'
        )
    note = f'<p class="note">{escape(table.note)}</p>' if table.note else ""
    wide = " wide" if len(table.columns) > _WIDE_TABLE else ""
    return (
        f'<section class="table{wide}" id="{escape(table.name)}">'
        f"<h3>{escape(table.title)}</h3>{note}"
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></section>"
    )


def _align(kind: str) -> str:
    return "text" if kind == "text" else "num"


def _legend_html(docs_url: str) -> str:
    items = "".join(f"<dt>{escape(term)}</dt><dd>{escape(text)}</dd>" for term, text in LEGEND)
    return (
        '<section class="legend"><h2>How to read these numbers</h2>'
        f"<dl>{items}</dl>"
        f'<p>Every definition, with its formula: <a href="{escape(docs_url)}">docs/metrics.md</a>.'
        "</p></section>"
    )


def _page(
    *,
    title: str,
    subtitle: str,
    figures: Sequence[Figure],
    charts: str,
    tables: str,
    docs_url: str,
) -> str:
    strip = "".join(_figure_html(f) for f in figures)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{escape(title)}</h1><p>{escape(subtitle)}</p></header>"
        f'<main><section class="headline">{strip}</section>'
        f'<section class="charts">{charts}</section>'
        f'<h2 class="tables-title">Tables</h2><section class="tables">{tables}</section>'
        f"{_legend_html(docs_url)}</main>"
        "<footer>serviceflow · durations in the tables are rounded; hover a cell for "
        "seconds, or export the exact values with <code>serviceflow report --export</code>."
        "</footer></body></html>\n"
    )


CSS = """
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--paper:#f8fafc;--card:#fff;
--accent:#2563eb;font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',
Arial,sans-serif;color:var(--ink);background:var(--paper);line-height:1.45}
*{box-sizing:border-box}
body{margin:0}
header{padding:28px 40px 8px}
header h1{margin:0;font-size:26px;font-weight:650;letter-spacing:-.01em}
header p{margin:4px 0 0;color:var(--muted)}
main{padding:8px 40px 32px;max-width:1600px}
h2{font-size:17px;margin:0 0 2px;font-weight:650}
h3{font-size:15px;margin:0 0 2px;font-weight:650}
.headline{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(170px,100%),1fr));gap:12px;
margin:16px 0 20px}
.kpi{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 16px}
.kpi .label{color:var(--muted);font-size:13px;text-transform:uppercase;letter-spacing:.04em}
.kpi .value{font-size:30px;font-weight:650;margin:2px 0;font-variant-numeric:tabular-nums}
.kpi .detail{color:var(--muted);font-size:13px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(560px,100%),1fr));gap:16px}
.chart{margin:0;background:var(--card);border:1px solid var(--line);border-radius:10px;
padding:16px 18px}
.chart.wide{grid-column:1/-1}
.chart figcaption p{margin:0 0 8px;color:var(--muted);font-size:14px}
.chart svg{width:100%;height:auto;display:block}
.chart.wide svg{max-height:360px}
.tables-title{font-size:20px;margin:28px 0 10px}
.tables{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(560px,100%),1fr));
gap:16px;grid-auto-flow:row dense;align-items:start}
.table{background:var(--card);border:1px solid var(--line);border-radius:10px;
padding:14px 18px;margin:0}
.table.wide{grid-column:1/-1}
.table .note{margin:0 0 8px;color:var(--muted);font-size:13px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:14px;font-variant-numeric:tabular-nums;width:100%}
th,td{padding:5px 12px;border-bottom:1px solid var(--line);white-space:nowrap}
td.text:not(:first-child){white-space:normal}
th{font-weight:600;color:var(--muted);font-size:13px;border-bottom:2px solid var(--line)}
td.num,th.num{text-align:right}
td.text,th.text{text-align:left}
td.empty{color:var(--muted);font-style:italic}
tbody tr:hover{background:#f1f5f9}
.legend{background:var(--card);border:1px solid var(--line);border-radius:10px;
padding:16px 18px;margin-top:14px}
.legend dl{display:grid;grid-template-columns:max-content 1fr;gap:6px 18px;margin:10px 0}
.legend dt{font-weight:600}
.legend dd{margin:0;color:#374151}
a{color:var(--accent)}
footer{padding:0 40px 32px;color:var(--muted);font-size:13px}
@media (max-width:700px){header,main,footer{padding-left:14px;padding-right:14px}
.charts{grid-template-columns:1fr}.legend dl{grid-template-columns:1fr}}
@media print{body{background:#fff}.chart,.table,.kpi,.legend{break-inside:avoid}}
""".replace("\n", "")
"""The page's one stylesheet: cards on a light page, numbers in tabular figures."""
