"""Every HTML page serviceflow writes, opened in a real browser at a desktop and a phone width.

The pages are made the way a user makes them: ``serviceflow report --html`` over the demo's
desk (its week, and the default last 30 days), over an imported ServiceNow-shaped log asked
for over two round years, and ``serviceflow simulate --html`` over two short days of the
shipped week. Each is opened as a ``file://`` URL in headless Chromium (driven by
Playwright, the browser from the system's packages: ``SERVICEFLOW_CHROMIUM`` names it;
nothing is downloaded) and fails on:

- a chart's text running out of its ``<svg>`` (the label would be clipped), by more than 1px;
- a table cut off: wider than its container with no horizontally scrollable ancestor, a
  scrolling box that itself runs off the page, content hidden by ``overflow: hidden``, or
  the page scrolling sideways;
- any console error, page error or failed request.

Without ``SERVICEFLOW_CHROMIUM`` (or without Playwright) the tests skip and say why; with
``SERVICEFLOW_REQUIRE_SERVICES`` set, as in CI, they fail instead.
"""

from __future__ import annotations

import csv
import os
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pytest
from click.testing import CliRunner

from serviceflow.cli._main import cli

from .conftest import require

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM_VARIABLE = "SERVICEFLOW_CHROMIUM"
VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}
PAGES = ("demo_week", "demo_default_period", "imported_log", "simulation")
TOLERANCE = 1
"""Pixels a box may run over before it counts as clipped (sub-pixel rounding)."""

_FIND_PROBLEMS = """
(tolerance) => {
  const problems = [];
  const px = (n) => `${n.toFixed(1)}px`;
  const name = (el) => {
    const id = el.id ? `#${el.id}` : '';
    const cls = typeof el.className === 'string' && el.className ? `.${el.className}` : '';
    return `<${el.tagName.toLowerCase()}${id}${cls}>`;
  };
  const chartOf = (svg) => {
    const title = svg.querySelector(':scope > title');
    return svg.getAttribute('aria-label') || (title && title.textContent) || 'svg';
  };
  const viewport = document.documentElement.clientWidth;

  // (a) SVG text that runs out of its chart
  for (const text of document.querySelectorAll('svg text')) {
    let svg = text.ownerSVGElement;
    while (svg && svg.parentElement && svg.parentElement.closest('svg')) {
      svg = svg.parentElement.closest('svg');
    }
    const t = text.getBoundingClientRect();
    if (!svg || !text.textContent.trim() || (t.width === 0 && t.height === 0)) continue;
    const s = svg.getBoundingClientRect();
    const over = [
      ['left', s.left - t.left], ['right', t.right - s.right],
      ['top', s.top - t.top], ['bottom', t.bottom - s.bottom],
    ].filter(([, by]) => by > tolerance);
    if (over.length) {
      problems.push(
        `chart "${chartOf(svg)}": text "${text.textContent.trim()}" runs out of its svg by `
        + over.map(([side, by]) => `${px(by)} (${side})`).join(', ')
      );
    }
  }

  // (b) tables cut off
  for (const table of document.querySelectorAll('table')) {
    const where = (table.closest('section[id]') || table).id || name(table);
    const t = table.getBoundingClientRect();
    let scroller = null;
    for (let el = table.parentElement; el && el !== document.body; el = el.parentElement) {
      const style = getComputedStyle(el);
      if (['auto', 'scroll'].includes(style.overflowX)) { scroller = el; break; }
      const r = el.getBoundingClientRect();
      if (t.right > r.right + tolerance || t.left < r.left - tolerance) {
        problems.push(
          `table ${where}: ${px(t.width)} wide, runs out of ${name(el)} (${px(r.width)}) `
          + 'with no horizontally scrollable container'
        );
        break;
      }
    }
    if (scroller) {
      const r = scroller.getBoundingClientRect();
      if (r.right > viewport + tolerance || r.left < -tolerance) {
        problems.push(
          `table ${where}: its scrolling box ${name(scroller)} runs off the page `
          + `(${px(r.left)} to ${px(r.right)} in ${viewport}px)`
        );
      }
    } else if (t.right > viewport + tolerance) {
      problems.push(`table ${where}: runs ${px(t.right - viewport)} past the page's edge`);
    }
  }
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('svg')) continue;
    const style = getComputedStyle(el);
    const hides = (v) => v === 'hidden' || v === 'clip';
    const wide = hides(style.overflowX) && el.scrollWidth > el.clientWidth + tolerance;
    const tall = hides(style.overflowY) && el.scrollHeight > el.clientHeight + tolerance;
    if (wide || tall) {
      problems.push(
        `${name(el)}: overflow hidden cuts its content (${el.scrollWidth}x${el.scrollHeight} `
        + `in ${el.clientWidth}x${el.clientHeight})`
      );
    }
  }
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth + tolerance) {
    problems.push(`the page scrolls sideways: ${doc.scrollWidth}px wide in ${doc.clientWidth}px`);
  }
  return problems;
}
"""


@pytest.fixture(scope="module")
def chromium() -> str:
    """The Chromium executable to drive (``SERVICEFLOW_CHROMIUM``), or skip/fail."""
    path = os.environ.get(CHROMIUM_VARIABLE, "")
    require(
        bool(path),
        f"{CHROMIUM_VARIABLE} is not set: point it at a Chromium executable "
        "(apt-get install chromium; then SERVICEFLOW_CHROMIUM=/usr/bin/chromium)",
    )
    require(Path(path).is_file(), f"{CHROMIUM_VARIABLE}={path} names no file")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        require(False, "Playwright is not installed: pip install 'playwright>=1.40'")
    return path


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=chromium, headless=True)
        try:
            yield launched
        finally:
            launched.close()


def _invoke(*args: str) -> None:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, f"serviceflow {' '.join(args)}:\n{result.output}"


@pytest.fixture(scope="module")
def pages(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every page, written by the command line from real data."""
    folder = tmp_path_factory.mktemp("pages")
    made = {name: folder / f"{name}.html" for name in PAGES}
    demo = str(folder / "demo.db")
    _invoke("--db", demo, "demo", "--quiet")
    _invoke(
        *("--db", demo, "report", "--from", "2026-02-28", "--to", "2026-03-06"),
        *("--by", "category", "--html", str(made["demo_week"])),
    )
    _invoke("--db", demo, "report", "--html", str(made["demo_default_period"]))
    imported = str(folder / "imported.db")
    log = _servicenow_log(folder / "incidents.csv")
    _invoke("--db", imported, "import", str(log), "--mapping", "servicenow", "--json")
    _invoke(
        *("--db", imported, "report", "--from", "2016-01-01", "--to", "2017-12-31"),
        *("--by", "priority", "--html", str(made["imported_log"])),
    )
    scenario = folder / "short.toml"
    scenario.write_text(_short_week(), encoding="utf-8")
    _invoke(
        *("simulate", str(scenario), "--db", str(folder / "sim.db"), "--seed", "1"),
        *("--html", str(made["simulation"]), "--quiet"),
    )
    for path in made.values():
        assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>"), path
    return made


def _short_week() -> str:
    """The shipped week, cut to two days with more escalations, so every chart has rows."""
    week = resources.files("serviceflow.simulation").joinpath("scenarios/week.toml").read_text()
    changes = {
        'duration = "7d"': 'duration = "2d"',
        "per_week = 2400": "per_week = 1400",
        "escalate = 0.04": "escalate = 0.15",
    }
    for old, new in changes.items():
        assert old in week, old
        week = week.replace(old, new)
    return week


SERVICENOW_HEADER = [
    "number",
    "incident_state",
    "active",
    "reassignment_count",
    "reopen_count",
    "sys_mod_count",
    "made_sla",
    "caller_id",
    "opened_by",
    "opened_at",
    "sys_created_by",
    "sys_created_at",
    "sys_updated_by",
    "sys_updated_at",
    "contact_type",
    "location",
    "category",
    "subcategory",
    "u_symptom",
    "cmdb_ci",
    "impact",
    "urgency",
    "priority",
    "assignment_group",
    "assigned_to",
    "knowledge",
    "u_priority_confirmation",
    "notify",
    "problem_id",
    "rfc",
    "vendor",
    "caused_by",
    "closed_code",
    "resolved_by",
    "resolved_at",
    "closed_at",
]
_LEVELS = ("1 - High", "2 - Medium", "3 - Low")
_PRIORITIES = ("1 - Critical", "2 - High", "3 - Moderate", "4 - Low")


def _servicenow_log(path: Path) -> Path:
    """Three weeks of incidents in the ServiceNow export's shape (Feb–Mar 2016, like the
    public log): each opened, worked, resolved and mostly closed, some taking days."""
    rng = random.Random(19)
    start = datetime(2016, 2, 29, 8, tzinfo=UTC)
    stamp = "{0.day}/{0.month}/{0.year} {0:%H:%M}".format
    rows = []
    for n in range(60):
        opened = start + timedelta(minutes=rng.randrange(21 * 24 * 60))
        priority = rng.choice(_PRIORITIES)
        hours = rng.lognormvariate(1.5, 1.4)
        active = opened + timedelta(minutes=rng.randrange(5, 120))
        resolved = active + timedelta(hours=hours)
        closed = resolved + timedelta(days=rng.choice((1, 2, 5)))
        base = {
            "number": f"INC{n + 45:07d}",
            "active": "true",
            "reassignment_count": "0",
            "reopen_count": "0",
            "made_sla": "true" if hours < 48 else "false",
            "caller_id": f"Caller {rng.randrange(400)}",
            "opened_by": f"Opened by {rng.randrange(20)}",
            "opened_at": stamp(opened),
            "sys_created_by": "Created by 6",
            "sys_created_at": stamp(opened),
            "contact_type": rng.choice(("Phone", "Email", "Self service")),
            "location": f"Location {rng.randrange(50)}",
            "category": f"Category {rng.randrange(12)}",
            "subcategory": f"Subcategory {rng.randrange(40)}",
            "u_symptom": f"Symptom {rng.randrange(30)}",
            "cmdb_ci": "?",
            "impact": rng.choice(_LEVELS),
            "urgency": rng.choice(_LEVELS),
            "priority": priority,
            "assignment_group": f"Group {rng.randrange(8)}",
            "assigned_to": f"Resolver {rng.randrange(30)}",
            "knowledge": "false",
            "u_priority_confirmation": "false",
            "notify": "Do Not Notify",
            "problem_id": "?",
            "rfc": "?",
            "vendor": "?",
            "caused_by": "?",
            "closed_code": f"code {rng.randrange(1, 10)}",
            "resolved_by": f"Resolved by {rng.randrange(30)}",
            "resolved_at": stamp(resolved),
            "closed_at": stamp(closed),
        }
        steps = [("New", opened), ("Active", active), ("Resolved", resolved)]
        if rng.random() < 0.8:
            steps.append(("Closed", closed))
        for count, (state, at) in enumerate(steps):
            rows.append(
                {
                    **base,
                    "incident_state": state,
                    "sys_mod_count": str(count),
                    "sys_updated_by": f"Updated by {rng.randrange(100)}",
                    "sys_updated_at": stamp(at),
                }
            )
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=SERVICENOW_HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("page_name", PAGES)
def test_the_page_reads_whole_in_a_browser(
    browser: Browser, pages: dict[str, Path], page_name: str, viewport: str
) -> None:
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on(
            "console",
            lambda message: (
                errors.append(f"console {message.type}: {message.text}")
                if message.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
        page.on("requestfailed", lambda request: errors.append(f"request failed: {request.url}"))
        page.goto(pages[page_name].as_uri(), wait_until="load")
        problems = cast("list[str]", page.evaluate(_FIND_PROBLEMS, TOLERANCE))
    finally:
        context.close()
    found = errors + problems
    assert not found, f"{page_name} at {width}x{height}:\n" + "\n".join(found)
