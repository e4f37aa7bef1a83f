"""A KPI set as tables and headline figures: one builder per table, and the order of its
rows (the policy's priorities and tiers first, the slice of cases without a value last).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from serviceflow.analytics._distribution import Stats
from serviceflow.analytics._kpi_set import NONE, Compliance, KpiReport, KpiSet, Rate, TimeMetric
from serviceflow.analytics._table import Cell, Column, Figure, Table, human_duration
from serviceflow.domain.policy._policy import Policy


def summary_table(k: KpiSet) -> Table:
    """Volumes, then each rate with its numerator and denominator."""
    rows: list[tuple[Cell, ...]] = [
        ("cases counted", k.cases, None, None, "cases with anything in the period"),
        ("submitted", k.submitted, None, None, ""),
        ("resolved", k.resolved, None, None, "first resolution in the period"),
        ("closed", k.closed, None, None, ""),
        ("cancelled", k.cancelled, None, None, ""),
    ]
    for label, rate, base in (
        ("first-contact resolution", k.fcr, "resolved cases"),
        ("reopened", k.reopened, "resolved cases"),
        ("escalated", k.escalated, "submitted cases"),
        ("transferred", k.transferred, "resolved cases"),
        ("repeat issue", k.repeat, "submitted cases with a requester"),
        ("SLA compliance (all clocks)", sla_overall(k), "decided SLA clocks"),
        ("CSAT", k.surveys.csat, "CSAT answers"),
    ):
        rows.append((label, rate.numerator, rate.denominator, rate.value, _base(rate, base)))
    rows.append(("backlog (open at end)", k.backlog.open, None, None, ""))
    return Table(
        "summary",
        "Summary",
        (
            Column("kpi", "KPI"),
            Column("count", "count", "count"),
            Column("out_of", "out of", "count"),
            Column("rate", "rate", "share"),
            Column("denominator", "denominator"),
        ),
        tuple(rows),
        "A rate is count out of its denominator; see docs/metrics.md for each definition.",
    )


def _base(rate: Rate, base: str) -> str:
    """What the rate is out of; with nothing to count, why (``resolved cases: no case
    resolved in the period``)."""
    return f"{base}: {rate.reason}" if rate.value is None and rate.reason else base


_STATS_COLUMNS = (
    Column("count", "count", "count"),
    Column("mean_seconds", "mean", "seconds"),
    Column("p50_seconds", "p50", "seconds"),
    Column("p90_seconds", "p90", "seconds"),
    Column("p99_seconds", "p99", "seconds"),
    Column("iqr_seconds", "IQR", "seconds"),
    Column("cv", "CV", "number"),
    Column("max_seconds", "max", "seconds"),
)


def _spread(stats: Stats) -> tuple[Cell, ...]:
    return (
        stats.count,
        stats.mean,
        stats.p50,
        stats.p90,
        stats.p99,
        stats.iqr,
        stats.cv,
        stats.maximum,
    )


def time_table(k: KpiSet) -> Table:
    """First response, resolution and full resolution: wall-clock and business time."""
    metrics: tuple[tuple[str, TimeMetric], ...] = (
        ("first response", k.first_response),
        ("resolution", k.resolution),
        ("full resolution", k.full_resolution),
    )
    rows = tuple(
        (name, clock, *_spread(stats))
        for name, metric in metrics
        for clock, stats in (("calendar", metric.calendar), ("business", metric.business))
    )
    return Table(
        "times",
        "Time to respond and resolve",
        (Column("metric", "metric"), Column("time", "time"), *_STATS_COLUMNS),
        rows,
        "Durations per case (the CSV and JSON exports give them in seconds); business time "
        "counts only the opening hours of the case's calendar. IQR is p75 − p25, CV the "
        "standard deviation over the mean." + _unmeasured(k.first_response),
    )


def _unmeasured(metric: TimeMetric) -> str:
    n = metric.unmeasured
    if not n:
        return ""
    cases, its = ("case was", "its") if n == 1 else ("cases were", "their")
    return (
        f" {n:,} imported {cases} already at work in the log's first row, which has no "
        f"opening time: {its} first response time is not measured."
    )


def sla_table(k: KpiSet) -> Table:
    """Each SLA metric's clock cycles: met, breached, still open, and the compliance rate."""
    return Table(
        "sla",
        "SLA compliance",
        (
            Column("metric", "metric"),
            Column("met", "met", "count"),
            Column("breached", "breached", "count"),
            Column("open", "open", "count"),
            Column("rate", "compliance", "share"),
        ),
        tuple(_compliance_row(c) for c in k.sla),
        "Compliance is met out of met plus breached; open clocks are not decided yet."
        if k.sla
        else f"No SLA clock to count: {k.sla_all.reason}.",
    )


def _compliance_row(c: Compliance) -> tuple[Cell, ...]:
    return (c.metric.replace("_", " "), c.met, c.breached, c.open, c.rate)


def slice_table(report: KpiReport, order: Sequence[str] = ()) -> Table:
    """One row per value of the report's slicing, with the key KPIs side by side."""
    assert report.by is not None, "a sliced report"
    metrics = sla_metrics(report.slices.values())
    columns = (
        Column(report.by, report.by),
        Column("cases", "cases", "count"),
        Column("submitted", "submitted", "count"),
        Column("resolved", "resolved", "count"),
        Column("fcr", "FCR", "share"),
        Column("reopened", "reopened", "share"),
        Column("escalated", "escalated", "share"),
        *(Column(f"sla_{m}", f"SLA {m.replace('_', ' ')}", "share") for m in metrics),
        Column("resolution_p50_seconds", "resolution p50", "seconds"),
        Column("resolution_p90_seconds", "resolution p90", "seconds"),
        Column("backlog", "backlog", "count"),
        Column("csat", "CSAT", "share"),
    )
    rows = []
    for name in ordered(report.slices, order):
        k = report.slices[name]
        compliance = [k.compliance(m) for m in metrics]
        rows.append(
            (
                name,
                k.cases,
                k.submitted,
                k.resolved,
                k.fcr.value,
                k.reopened.value,
                k.escalated.value,
                *(c.rate if c is not None else None for c in compliance),
                k.resolution.calendar.p50,
                k.resolution.calendar.p90,
                k.backlog.open,
                k.surveys.csat.value,
            )
        )
    return Table(
        "slices",
        f"By {report.by}",
        columns,
        tuple(rows),
        f"Each case counts under its {report.by} at the end of the period; "
        f"{NONE} gathers cases without one. Resolution times are wall-clock."
        + "".join(
            f" {n:,} {'case is' if n == 1 else 'cases are'} in no row: {why}."
            for why, n in sorted(report.unsliced.items())
        ),
    )


def volume_table(report: KpiReport) -> Table:
    """Cases submitted per UTC day (days without any are left out)."""
    return Table(
        "volume",
        "Volume per day",
        (Column("day", "day (UTC)"), Column("submitted", "submitted", "count")),
        tuple((day.isoformat(), n) for day, n in report.volume),
    )


def backlog_table(k: KpiSet) -> Table:
    """The cases open at the end of the period, grouped by age."""
    open_ = k.backlog.open
    return Table(
        "backlog",
        "Backlog ageing",
        (
            Column("age", "age"),
            Column("cases", "cases", "count"),
            Column("share", "share", "share"),
        ),
        tuple((label, n, n / open_ if open_ else None) for label, n in k.backlog.buckets),
        f"{open_} cases open at the end of the period; age is from submission.",
    )


def tier_table(k: KpiSet, order: Sequence[str] = ()) -> Table:
    """How long each escalation tier held the cases it held in the period."""
    return Table(
        "tiers",
        "Time held per escalation tier",
        (Column("tier", "tier"), *_STATS_COLUMNS),
        tuple((tier, *_spread(k.tier_time[tier])) for tier in ordered(k.tier_time, order)),
        f"{k.escalated.numerator} of {k.escalated.denominator} submitted cases were "
        "escalated; count is the tier's stints, a stint still running counts up to the "
        "end of the period.",
    )


def per_case_table(k: KpiSet) -> Table:
    """Transfers and client effort (client replies) per resolved case, with their spread."""
    columns = (
        Column("measure", "per resolved case"),
        Column("count", "cases", "count"),
        Column("mean", "mean", "number"),
        Column("p50", "p50", "number"),
        Column("p90", "p90", "number"),
        Column("max", "max", "number"),
        Column("cv", "CV", "number"),
    )
    rows = tuple(
        (name, s.count, s.mean, s.p50, s.p90, s.maximum, s.cv)
        for name, s in (("transfers", k.transfers), ("client replies", k.effort))
    )
    return Table("per_case", "Transfers and client effort", columns, rows)


def survey_table(k: KpiSet) -> Table:
    """CSAT, NPS and CES: answers, how they split, and the score on its own scale (a row
    for each survey that was answered)."""
    s = k.surveys
    csat = s.csat
    nps_answers = s.promoters + s.passives + s.detractors
    rows: tuple[tuple[Cell, ...], ...] = (
        (
            "CSAT",
            csat.denominator,
            csat.numerator,
            None,
            csat.denominator - csat.numerator,
            100 * csat.value if csat.value is not None else None,
            "% of answers 4–5 (1–5)",
        ),
        (
            "NPS",
            nps_answers,
            s.promoters,
            s.passives,
            s.detractors,
            s.nps,
            "% 9–10 − % 0–6 (−100…100)",
        ),
        ("CES", s.ces.count, None, None, None, s.ces.mean, "mean (1–7, higher is easier)"),
    )
    return Table(
        "surveys",
        "Surveys",
        (
            Column("survey", "survey"),
            Column("responses", "responses", "count"),
            Column("positive", "positive", "count"),
            Column("neutral", "neutral", "count"),
            Column("negative", "negative", "count"),
            Column("score", "score", "number"),
            Column("scale", "scale"),
        ),
        tuple(row for row in rows if row[1]),
        "Answers recorded in the period.",
    )


def quality_table(k: KpiSet) -> Table:
    """Quality review totals (out of 100) recorded in the period, with their spread."""
    t = k.quality.total
    return Table(
        "quality",
        "Quality reviews",
        (
            Column("reviews", "reviews", "count"),
            Column("mean", "mean", "number"),
            Column("p25", "p25", "number"),
            Column("p50", "p50", "number"),
            Column("p90", "p90", "number"),
            Column("min", "min", "number"),
            Column("cv", "CV", "number"),
        ),
        ((t.count, t.mean, t.p25, t.p50, t.p90, t.minimum, t.cv),) if t.count else (),
        "Review totals out of 100.",
    )


def criteria_table(k: KpiSet) -> Table:
    """Each review criterion's mean share of its maximum points."""
    return Table(
        "quality_criteria",
        "Quality criteria",
        (Column("criterion", "criterion"), Column("share", "mean share of max", "share")),
        tuple((name, share) for name, share in k.quality.criteria.items()),
        "A criterion whose rubric states no maximum shows its mean points instead.",
    )


def sla_overall(k: KpiSet) -> Rate:
    """Every decided SLA clock of the slice: met out of met plus breached (or why none)."""
    return k.sla_all


def headline(k: KpiSet) -> tuple[Figure, ...]:
    """The numbers a reader looks at first, each with what it is out of."""
    s = k.surveys
    nps_answers = s.promoters + s.passives + s.detractors
    sla = sla_overall(k)
    return (
        Figure("Cases", k.cases, "count", f"{k.submitted:,} submitted, {k.resolved:,} resolved"),
        Figure("FCR", k.fcr.value, "share", _of(k.fcr, "resolved")),
        Figure("SLA compliance", sla.value, "share", _of(sla, "clocks met")),
        Figure("CSAT", s.csat.value, "share", _of(s.csat, "answers")),
        Figure(
            "NPS",
            s.nps,
            "number",
            f"{nps_answers:,} answers" if nps_answers else "no NPS answer in the period",
        ),
        Figure("Backlog", k.backlog.open, "count", _median_age(k)),
    )


def _of(rate: Rate, noun: str) -> str:
    """``3 of 4 resolved``; with nothing to count, the rate's reason instead."""
    if rate.value is None and rate.reason:
        return rate.reason
    return f"{rate.numerator:,} of {rate.denominator:,} {noun}"


def _median_age(k: KpiSet) -> str:
    age = k.backlog.age.p50
    return f"median age {human_duration(age)}" if age is not None else "nothing open"


def sla_metrics(sets: Iterable[KpiSet]) -> list[str]:
    """The SLA metrics any of ``sets`` counted, in the order they first appear."""
    seen: dict[str, None] = {}
    for k in sets:
        for c in k.sla:
            seen.setdefault(c.metric)
    return list(seen)


def ordered(names: Iterable[str], order: Sequence[str] = ()) -> list[str]:
    """``names`` in ``order`` first, the others alphabetically, and ``(none)`` last."""
    present = set(names)
    known = [n for n in order if n in present]
    rest = sorted(present - set(known) - {NONE})
    return known + rest + ([NONE] if NONE in present else [])


def slice_order(policy: Policy | None, by: str | None) -> tuple[str, ...]:
    """The policy's order for a slicing: priorities most urgent first, tiers as declared."""
    if policy is None:
        return ()
    if by == "priority":
        return policy.priority.names
    if by == "tier":
        return tuple(t.name for t in policy.tiers)
    return ()


def tier_order(policy: Policy | None) -> tuple[str, ...]:
    """The policy's escalation tiers, lowest level first."""
    if policy is None:
        return ()
    return tuple(t.name for t in sorted(policy.escalation.tiers, key=lambda t: t.level))
