"""Planning one row: the events that take its case to the row's state and values, from what
the import keeps of that case; what cannot be planned skips the row.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from serviceflow.analytics._case_facts import OPENED_AT_FIRST_ROW, OPENED_UNLOGGED, TIERS_LOGGED
from serviceflow.domain import _events as ev
from serviceflow.domain._case import Case, requester_group
from serviceflow.importing._mapping import BREACHED, MET
from serviceflow.importing._paths import AFTER_RESOLUTION, PRE_WORK, TRIAGE_GAP
from serviceflow.importing._support_line import escalated, tier_named
from serviceflow.importing._track import Run, Skip, Track
from serviceflow.rules._evolve import evolve
from serviceflow.rules._lifecycle import DESTINATIONS
from serviceflow.rules._priority import decide_priority


class Row:
    """The plan of one row: the events that take its case to the row's state and values."""

    __slots__ = (
        "case",
        "case_id",
        "category",
        "events",
        "line",
        "line_tier",
        "meta",
        "not_recorded",
        "owner",
        "owner_by",
        "priority",
        "row",
        "run",
        "target",
        "team",
        "track",
        "values",
    )

    def __init__(
        self,
        run: Run,
        track: Track,
        *,
        line: int,
        row: list[str],
        at: datetime,
        target: str,
        values: Mapping[str, str | None],
    ) -> None:
        self.run = run
        self.track = track
        self.line = line
        self.row = row
        self.case_id = row[run.columns["case_id"].index]
        self.target = target
        self.values = values
        self.case = track.case
        self.events: list[ev.Event] = []
        self.not_recorded: list[str] = []
        by = values.get("by")
        self.meta: dict[str, Any] = {
            "at": at,
            "by": run.mapping.actors.by + by if by is not None else run.mapping.actor,
            "policy": run.version,
            "source": f"{run.prefix}{line}",
        }
        self.category: str | None = None
        self.priority: ev.Prioritized | None = None
        self.owner: str | None = None
        self.owner_by = "assignee"
        """The key whose value names the owner (``assignee`` or ``team``), for its reason."""
        self.team: str | None = None
        """The row's team where it differs from the case's queue (not yet recorded)."""
        self.line_tier: str | None = None
        """The tier the row's support line names where it differs from the case's."""

    def emit(self, event: ev.Event) -> Case:
        self.events.append(event)
        self.case = evolve(self.case, event)
        return self.case

    def plan(self) -> None:
        """Plan the row; commit it to the case's track, or raise ``Skip``."""
        run, track = self.run, self.track
        created = self.case is None
        rise, count = self.reopens()
        if created:
            self.emit(self.submitted())
        else:
            self.requeue()
        self.wants()
        self.attributes()
        if not created:
            self.fields_changed()
        for _ in range(rise):
            self.reopen()
        self.path()
        breached = self.sla()
        self.leftovers()
        # planned: commit the row to its case's track
        track.case = self.case
        track.last_at = self.meta["at"]
        track.breached = breached
        if count is not None:
            track.reopens = count
        if self.events:
            track.pending.extend(self.events)
            run.dirty[self.case_id] = track
            counts = run.events
            for event in self.events:
                counts[event.TYPE] += 1
                if isinstance(event, ev.Assigned | ev.Unassigned) and event.queue is not None:
                    track.team = event.queue
        else:
            run.rows_unchanged += 1
        run.rows_imported += 1
        if created:
            run.cases_created += 1
        for problem in self.not_recorded:
            run.note_anomaly(problem, self.line, skipped=False)

    # --- intake

    def submitted(self) -> ev.Submitted:
        run, row, values = self.run, self.row, self.values
        mapping = run.mapping
        # Neither in the log nor defaulted: left empty, so the KPIs that need one say so.
        requester = run.text("requester", row) or mapping.defaults.requester or ""
        channel = values.get("channel") or mapping.defaults.channel or ""
        for key, value in (("requester", requester), ("channel", channel)):
            if not value and key in run.columns:
                self.not_recorded.append(f"no {key}: the case is imported without one")
        tier = (
            values.get("tier")
            or mapping.defaults.tier
            or run.policy.tier_for(requester_group(requester))
        )
        at = self.meta["at"]
        try:
            opened = run.time("opened_at", row)
        except Skip:
            self.not_recorded.append(
                f"column {run.columns['opened_at'].name!r} unreadable: submitted at the row's time"
            )
            opened = None
        if opened is not None and opened > at:
            self.not_recorded.append(
                f"column {run.columns['opened_at'].name!r} is after the row's time: "
                "submitted at the row's time"
            )
        elif opened is not None:
            at = opened
        unopened = opened is None or opened > at  # submitted at the row's time
        opened_by = run.text("opened_by", row)
        fields = {name: row[i] for name, i in run.fields if row[i] not in run.nulls}
        entry = run.policy.escalation.entry
        if "support_line" in run.columns and entry is not None:
            fields[TIERS_LOGGED] = entry.name
        if unopened:
            fields[OPENED_UNLOGGED] = OPENED_AT_FIRST_ROW
        return ev.Submitted(
            case_id=self.case_id,
            requester=requester,
            channel=channel,
            subject=run.text("subject", row) or mapping.defaults.subject or self.case_id,
            description=run.text("description", row) or mapping.defaults.description or "",
            tier=tier,
            fields=fields,
            at=at,
            by=mapping.actors.by + opened_by if opened_by is not None else self.meta["by"],
            policy=run.version,
            source=self.meta["source"],
        )

    # --- attributes

    def wants(self) -> None:
        """The row's category, priority, owner and team where they differ from the case's."""
        case, defaults = self.case, self.run.mapping.defaults
        assert case is not None
        category = self.values.get("category") or case.category or defaults.category
        if category is not None and category != case.category:
            self.category = category
        self.priority = self.prioritized()
        owner = self.owner_named()
        if owner is not None and owner != case.assignee:
            self.owner = owner
        team = self.values.get("team")
        if team is not None and team != self.track.team and case.assignee is not None:
            self.team = team  # nobody's case takes its team with its first owner
        self.line_tier = tier_named(self)

    def given(self, key: str) -> str | None:
        """The row's value for ``key``, else the case's, else the mapping's default."""
        assert self.case is not None
        ours = self.values.get(key) or getattr(self.case, key)
        return ours if ours is not None else getattr(self.run.mapping.defaults, key)

    def origin(self, key: str) -> str:
        """Where ``given(key)`` came from: the row's cell, the case, or the default."""
        assert self.case is not None
        if not self.logged(key) and getattr(self.case, key) is not None:
            return f"the case's {key}"
        return self.reason(key)

    def prioritized(self) -> ev.Prioritized | None:
        """The prioritisation the row wants: the log's priority, else the policy's matrix
        (impact and urgency known, never over the log's), else the default's."""
        case = self.case
        assert case is not None
        impact, urgency = self.given("impact"), self.given("urgency")
        priority, rule = self.values.get("priority"), "import"
        reason = self.reason("priority")
        if priority is None and self.track.priority_logged:
            return None
        if priority is None and impact is not None and urgency is not None:
            decision = decide_priority(
                self.run.policy,
                impact=impact,
                urgency=urgency,
                category=self.category or case.category,
                tier=case.tier,
            )
            priority, rule = decision.priority, decision.rule
            reason = (
                f"no priority in the log; from {self.origin('impact')} and "
                f"{self.origin('urgency')}: {decision.reason}"
            )
        elif priority is None and case.priority is None:
            priority = self.run.mapping.defaults.priority
        unchanged = (priority, impact, urgency) == (case.priority, case.impact, case.urgency)
        if priority is None or unchanged:
            return None
        return ev.Prioritized(
            priority=priority, impact=impact, urgency=urgency, rule=rule, reason=reason, **self.meta
        )

    def owner_named(self) -> str | None:
        """Who owns the case by this row: the person named, else (when the mapping says so)
        the team, else the default assignee of a case nobody owns yet."""
        named = self.values.get("assignee")
        actors, defaults = self.run.mapping.actors, self.run.mapping.defaults
        self.owner_by = "assignee"
        if named is not None:
            return actors.assignee + named
        team = self.values.get("team") or defaults.team
        if team is not None and self.run.mapping.options.team_owns_unassigned:
            self.owner_by = "team"
            return actors.team + team
        assert self.case is not None
        return defaults.assignee if self.case.assignee is None else None

    def attributes(self) -> None:
        """Record the wanted changes that the case's state allows now (in triage order)."""
        case = self.case
        assert case is not None
        if self.category is not None and ("classify", case.state) in DESTINATIONS:
            kind = self.values.get("kind") or case.kind or self.run.mapping.defaults.kind
            assert kind is not None  # the mapping check requires a kind with a category
            case = self.emit(
                ev.Classified(
                    category=self.category, kind=kind, reason=self.reason("category"), **self.meta
                )
            )
            self.category = None
        if self.priority is not None and ("prioritize", case.state) in DESTINATIONS:
            case = self.emit(self.priority)
            self.track.priority_logged |= self.priority.rule == "import" and self.logged("priority")
            self.priority = None
        if self.owner is not None and ("assign", case.state) in DESTINATIONS:
            reason = self.reason(self.owner_by)
            if self.owner_by == "team" and "assignee" in self.run.columns:
                reason += f", nobody named in {self.run.columns['assignee'].name}"
            self.emit(
                ev.Assigned(
                    assignee=self.owner,
                    previous=case.assignee,
                    queue=self.values.get("team") or self.run.mapping.defaults.team,
                    reason=reason,
                    **self.meta,
                )
            )
            self.owner = self.team = None
        self.moved()
        escalated(self)

    def requeue(self) -> None:
        """A row that says "not yet worked" for a case at work: the case went back to its
        queue (the row's team, if it names one) to wait for its next owner; from a resolved
        case, where the log's states tell reopens, it was reopened first."""
        case = self.case
        assert case is not None
        if self.target not in PRE_WORK or case.state in PRE_WORK:
            return
        if case.state in AFTER_RESOLUTION:
            if self.run.reopen_counted:
                return  # path() reports it: the counter did not rise
            case = self.emit(ev.Reopened(reason=self.reason("state"), **self.meta))
        if ("unassign", case.state) not in DESTINATIONS or case.assignee is None:
            return  # path() reports it
        self.emit(
            ev.Unassigned(
                previous=case.assignee,
                queue=self.values.get("team"),
                reason=self.reason("state"),
                **self.meta,
            )
        )

    def fields_changed(self) -> None:
        """Record the extra fields whose cells changed (an empty cell keeps the value)."""
        run, case = self.run, self.case
        assert case is not None
        changed = {
            name: self.row[i]
            for name, i in run.fields
            if self.row[i] not in run.nulls and case.fields.get(name) != self.row[i]
        }
        if not changed:
            return
        if ("update_fields", case.state) not in DESTINATIONS:
            self.not_recorded.append(f"field change not recorded: the case was {case.state}")
            return
        cells = ", ".join(
            f"{run.columns[f'fields.{name}'].name} {value!r}" for name, value in changed.items()
        )
        self.emit(
            ev.FieldsChanged(fields=changed, reason=f"{run.mapping.name} {cells}", **self.meta)
        )

    def moved(self) -> None:
        """Record a new team under the same owner: an assignment to the owner it already
        has, in the new queue (a move between teams, not a transfer)."""
        case = self.case
        assert case is not None
        owner = case.assignee
        if self.team is None or owner is None or ("assign", case.state) not in DESTINATIONS:
            return
        self.emit(
            ev.Assigned(
                assignee=owner,
                previous=owner,
                queue=self.team,
                reason=self.reason("team"),
                **self.meta,
            )
        )
        self.team = None

    def reason(self, key: str) -> str:
        """``servicenow priority '3 - Moderate'``: the mapping, the column and its raw value;
        ``servicenow [defaults] priority`` when the row leaves it to the mapping."""
        name = self.run.mapping.name
        if not self.logged(key):
            return f"{name} [defaults] {key}"
        column = self.run.columns[key]
        return f"{name} {column.name} {self.row[column.index]!r}"

    def logged(self, key: str) -> bool:
        """Whether the row's cell for ``key`` holds a value (the column mapped, the cell not
        empty)."""
        column = self.run.columns.get(key)
        return column is not None and self.row[column.index] not in self.run.nulls

    def leftovers(self) -> None:
        """Changes the lifecycle had no place for in the case's state: reported, not recorded."""
        case = self.case
        assert case is not None
        for what, wanted in (
            ("category", self.category),
            ("priority", self.priority),
            ("assignee", self.owner),
        ):
            if wanted is not None:
                self.not_recorded.append(f"{what} change not recorded: the case was {case.state}")
        if self.team is not None:
            self.not_recorded.append(f"team change not recorded: the case was {case.state}")
        if self.line_tier is not None:
            self.not_recorded.append(f"support line change not recorded: the case was {case.state}")

    # --- reopens and the state

    def reopens(self) -> tuple[int, int | None]:
        """How many reopens the row's counter adds, and the counter to keep."""
        run, before = self.run, self.track.reopens
        raw = self.values.get("reopen_count")
        if raw is None:
            return 0, None
        count = int(raw) if raw.isdigit() else -1
        if count < 0:
            raise Skip(f"column {run.columns['reopen_count'].name!r}: not a whole number")
        if before is None:
            if count > 0:
                self.not_recorded.append(
                    "earlier reopens not recorded: the case's first row has a reopen count above 0"
                )
            return 0, count
        if count < before:
            self.not_recorded.append("the reopen count went down: ignored")
            return 0, None
        if count > before + 1:
            self.not_recorded.append("reopens not recorded: the count rose by more than one")
            return 0, count
        return count - before, count

    def reopen(self) -> None:
        assert self.case is not None
        if self.case.state not in AFTER_RESOLUTION:
            self.not_recorded.append(f"reopen not recorded: the case was {self.case.state}")
            return
        self.emit(ev.Reopened(reason=self.reason("reopen_count"), **self.meta))
        self.attributes()

    def path(self) -> None:
        """The events that take the case from its state to the row's; a state out of reach
        is reported and the rest of the row recorded."""
        case = self.case
        assert case is not None
        target, state = self.target, case.state
        if target in PRE_WORK:
            if state not in PRE_WORK:  # requeue() found no way back to the queue
                why = f"no way back to the queue from {state}"
                if self.run.reopen_counted and state in AFTER_RESOLUTION:
                    why = f"back from {state} while the reopen count did not rise"
                self.not_recorded.append(f"state {target} not recorded: {why}")
            return
        steps = self.run.paths.get((state, target))
        if steps is None:
            why = TRIAGE_GAP.get(state, f"no way from {state}")
            if self.run.reopen_counted and state in AFTER_RESOLUTION:
                why = f"back from {state} while the reopen count did not rise"
            self.not_recorded.append(f"state {target} not recorded: {why}")
            return
        for trigger in steps:
            self.emit(self.step(trigger))
            self.attributes()

    def step(self, trigger: str) -> ev.Event:
        meta = self.meta
        if trigger == "acknowledge":
            return ev.Acknowledged(message="", **meta)
        if trigger == "request_info":
            return ev.InfoRequested(message="", **meta)
        if trigger == "client_reply":
            return ev.ClientReplied(message="", **meta)
        if trigger == "resolve":
            resolution = self.values.get("resolution") or self.run.mapping.defaults.resolution
            return ev.Resolved(resolution=resolution or "", **meta)
        if trigger == "validate":
            return ev.Validated(**meta)
        if trigger == "close":
            return ev.Closed(reason=self.reason("state"), **meta)
        if trigger == "cancel":
            return ev.Cancelled(reason=self.reason("state"), **meta)
        assert trigger == "reopen"
        return ev.Reopened(reason=self.reason("state"), **meta)

    def sla(self) -> bool:
        """Record a breach when the made-SLA flag turns to breached; return the flag."""
        flag = self.values.get("made_sla")
        if flag is None and self.track.last_at is None:  # the case's first row
            flag = self.run.mapping.defaults.made_sla
        breached = self.track.breached
        if flag == BREACHED and not breached:
            metric = self.run.mapping.options.sla_metric
            self.emit(ev.SlaBreached(metric=metric, cycle=1, **self.meta))
            return True
        if flag == MET and breached:
            self.not_recorded.append("made SLA back to met not recorded: the breach stands")
        return breached
