"""The dashboard: one self-contained HTML page (no script, nothing fetched, the docs link
the only address), every chart inline, and text from the log always escaped."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from serviceflow import ValidationError
from serviceflow.analytics._dashboard import DOCS_URL, render_dashboard, write_dashboard
from serviceflow.analytics._kpi_set import KpiReport
from serviceflow.analytics._metrics import compute_kpis
from serviceflow.domain import _events as ev

from .test_metrics import END, POLICY, T0, H, _Case, _escalated, _log, unlevelled

GENERATED = END + H
CHART_TITLES = (
    "Volume over time",
    "SLA compliance by priority",
    "Resolution time by priority",
    "Backlog ageing",
    "Escalations by tier",
)
EVIL = "<script>alert('x')</script>"


def _report(by: str | None = "priority", log: list[list[ev.Event]] | None = None) -> KpiReport:
    return compute_kpis(_log() if log is None else log, POLICY, start=T0, end=END, by=by)


def _escalated_log() -> list[list[ev.Event]]:
    case = _escalated(returned=False)
    return [*_log(), case.events]


class _Structure(HTMLParser):
    """Checks that every element is closed in order, and collects the addresses used."""

    VOID = frozenset({"meta", "br", "hr", "img", "input", "link"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.addresses: list[str] = []
        self.tags: set[str] = set()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.addresses += [v or "" for k, v in attrs if k in {"href", "src", "xlink:href"}]
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.addresses += [v or "" for k, v in attrs if k in {"href", "src", "xlink:href"}]

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.open[-1] if self.open else 'nothing'}")
            return
        self.open.pop()


def _parsed(html: str) -> _Structure:
    found = _Structure()
    found.feed(html)
    found.close()
    assert not found.problems, found.problems[:3]
    assert found.open == [], found.open
    return found


def test_the_page_is_self_contained_and_well_formed() -> None:
    html = render_dashboard(_report(), generated_at=GENERATED, policy=POLICY)
    assert html.startswith("<!DOCTYPE html>")
    parsed = _parsed(html)
    assert parsed.addresses == [DOCS_URL], "the docs link is the only address"
    assert not {"script", "link", "img", "iframe", "object"} & parsed.tags
    assert "@import" not in html
    assert "url(" not in html
    assert not re.search(r"""(?:src|href)\s*=\s*["']?https?://(?!github\.com/serviceflow)""", html)


def test_every_chart_is_inline_svg_under_its_title() -> None:
    html = render_dashboard(_report(log=_escalated_log()), generated_at=GENERATED, policy=POLICY)
    for title in CHART_TITLES:
        assert f"<h2>{title}</h2>" in html
    figures = re.findall(r'<figure class="chart[^"]*">(.*?)</figure>', html, re.DOTALL)
    assert len(figures) == len(CHART_TITLES)
    assert all("<svg" in figure and figure.endswith("</svg>") for figure in figures)
    volume, sla, resolution, backlog, tiers = figures
    assert "pygal-chart" in volume
    assert "02 Mar" in volume, "the days of the period label the bars"
    assert "first response" in sla
    assert "resolution" in sla
    assert "median 1h" in resolution
    assert "high" in resolution
    assert "&lt; 1 day (1)" in backlog
    assert "1–3 days (1)" in backlog
    assert "technical" in tiers
    assert "1 stint" in tiers


def test_headline_period_tables_and_legend() -> None:
    html = render_dashboard(
        _report(), generated_at=GENERATED, policy=POLICY, title="Acme: service desk report"
    )
    assert "<title>Acme: service desk report</title>" in html
    assert "02 Mar 2026 09:00 – 03 Mar 2026 12:00 (UTC) · by priority" in html
    assert "generated 03 Mar 2026 13:00 UTC" in html
    assert '<div class="label">FCR</div><div class="value">33.3%</div>' in html
    assert '<div class="detail">1 of 3 resolved</div>' in html
    assert '<div class="label">NPS</div><div class="value">+0.00</div>' in html
    for table in ("Summary", "Time to respond and resolve", "SLA compliance", "By priority"):
        assert f"<h3>{table}</h3>" in html
    assert html.count("<h3>By priority</h3>") == 1
    assert "<h3>Volume per day</h3>" not in html, "the chart shows it"
    assert '<td class="num" title="1,800 s">30m</td>' in html
    assert "How to read these numbers" in html
    assert "out of the cases submitted in the period" in html
    assert f'<a href="{DOCS_URL}">docs/metrics.md</a>' in html


def test_a_report_sliced_otherwise_takes_the_priorities_from_a_second_report() -> None:
    by_channel = _report("channel")
    alone = render_dashboard(by_channel, generated_at=GENERATED)
    assert "SLA compliance by priority" not in alone
    assert "Resolution time by priority" not in alone
    assert "<h3>By channel</h3>" in alone
    both = render_dashboard(by_channel, generated_at=GENERATED, priorities=_report("priority"))
    assert "SLA compliance by priority" in both
    assert "<h3>By channel</h3>" in both
    assert "<h3>By priority</h3>" in both
    other = compute_kpis(_log(), POLICY, start=T0 + H, end=END, by="priority")
    with pytest.raises(ValidationError, match="is not the report's"):
        render_dashboard(by_channel, generated_at=GENERATED, priorities=other)
    with pytest.raises(ValidationError, match="sliced by channel, not by priority"):
        render_dashboard(by_channel, generated_at=GENERATED, priorities=by_channel)


def test_text_from_the_log_is_escaped_in_tables_and_charts() -> None:
    case = (
        _Case("Z", "acme/z@acme.test", timedelta(0))
        .triaged(timedelta(0), EVIL, "<img src=x onerror=alert(1)>")
        .add(ev.Assigned, H, assignee="agent:kim")
        .add(ev.Acknowledged, H, message="hi")
        .add(ev.Resolved, 2 * H, resolution="done")
    )
    log = [*_log(), case.events]
    html = render_dashboard(
        _report("category", log),
        generated_at=GENERATED,
        priorities=_report("priority", log),
        title=EVIL,
    )
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    parsed = _parsed(html)
    assert parsed.addresses == [DOCS_URL]


def test_an_empty_period_says_so_in_each_chart() -> None:
    empty = compute_kpis([], POLICY, start=T0, end=END, by="priority")
    html = render_dashboard(empty, generated_at=GENERATED)
    _parsed(html)
    for message in (
        "No case was submitted in this period",
        "No SLA clock was met or breached in this period",
        "No case was resolved in this period",
        "Nothing was open at the end of the period",
        "No case was escalated in this period",
    ):
        assert message in html
    assert "nothing in this period" in html
    since_ever = render_dashboard(compute_kpis([], POLICY, end=END), generated_at=GENERATED)
    assert "the first case – 03 Mar 2026 12:00 (UTC)" in since_ever


def test_a_log_narrower_than_its_period_is_drawn_over_its_own_days() -> None:
    """An imported log asked for over round years: the chart and the header say which
    days its cases were submitted on, and which days of the period had none."""
    start, end = datetime(2025, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    wide = compute_kpis(_log(), POLICY, start=start, end=end, by="priority")
    html = render_dashboard(wide, generated_at=GENERATED, policy=POLICY)
    assert "01 Jan 2025 – 31 Dec 2026 (UTC) · cases submitted 02 Mar 2026 – 03 Mar 2026" in html
    assert (
        "Cases submitted per day (UTC), 02 Mar 2026 – 03 Mar 2026. Nothing was submitted "
        "from 01 Jan 2025 to 01 Mar 2026 or from 04 Mar 2026 to 31 Dec 2026, so the chart "
        "leaves those days out."
    ) in html
    open_ = compute_kpis(_log(), POLICY, end=end)
    html = render_dashboard(open_, generated_at=GENERATED)
    assert "the first case (02 Mar 2026) – 01 Jan 2027 00:00 (UTC) · cases submitted" in html
    assert "Nothing was submitted from 04 Mar 2026 to 31 Dec 2026, so the chart leaves that" in html
    full = render_dashboard(_report(), generated_at=GENERATED)
    assert "Cases submitted per day (UTC).</p>" in full
    assert "cases submitted 02" not in full


def test_every_caption_reads_like_its_cells() -> None:
    html = render_dashboard(_report(), generated_at=GENERATED, policy=POLICY)
    assert "Seconds per case" not in html, "the cells read 30m, not 1800"
    assert "Durations per case" in html


def test_without_a_service_level_sla_compliance_reads_none_with_its_reason() -> None:
    html = render_dashboard(_report(log=unlevelled()), generated_at=GENERATED, policy=POLICY)
    _parsed(html)
    assert (
        '<div class="label">SLA compliance</div><div class="value">—</div>'
        '<div class="detail">no service level applies</div>'
    ) in html
    assert "No SLA clock was met or breached in this period: no service level applies" in html
    assert "No SLA clock to count: no service level applies." in html
    assert "decided SLA clocks: no service level applies" in html


def test_write_dashboard_writes_utf8_and_refuses_a_naive_time(tmp_path: Path) -> None:
    path = write_dashboard(tmp_path / "dash.html", _report(), generated_at=GENERATED)
    text = path.read_text(encoding="utf-8")
    assert "first-contact resolution" in text
    assert "−100" in text
    with pytest.raises(ValidationError, match="timezone-aware"):
        render_dashboard(_report(), generated_at=datetime(2026, 3, 3, 13, 0))  # noqa: DTZ001


def test_without_the_reports_extra_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    from serviceflow import analytics

    monkeypatch.setitem(sys.modules, "pygal", None)
    monkeypatch.delitem(sys.modules, "serviceflow.analytics._charts", raising=False)
    monkeypatch.delattr(analytics, "_charts", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'serviceflow\[reports\]'"):
        render_dashboard(_report(), generated_at=GENERATED)
