"""The README's first example: one request through the whole lifecycle, on a SQLite file.

Run it with ``python examples/quickstart.py``; it writes ``quickstart.db`` next to where you
run it and prints the case's history.
"""

from __future__ import annotations

from pathlib import Path

from serviceflow import ServiceDesk, load_policy

POLICY = Path(__file__).with_name("policy.toml")


def main() -> None:
    """Submit, classify, prioritize, route, acknowledge, clarify, resolve, validate, confirm."""
    desk = ServiceDesk.open("sqlite:///quickstart.db", policy=load_policy(POLICY))
    case = desk.submit(
        requester="acme/jane@acme.test",
        channel="email",
        subject="Checkout page is down",
        description="500 on /pay since 09:10",
        category="outage",
    )
    desk.classify(case.id, category="outage", kind="incident", by="agent:kim")
    desk.prioritize(case.id, impact="high", urgency="high", by="agent:kim")  # outage -> critical
    desk.assign(case.id, to="agent:kim", by="lead:ana")
    desk.acknowledge(case.id, by="agent:kim", message="We are on it.")
    desk.request_info(case.id, by="agent:kim", message="Which browser?")  # waits on the client
    desk.client_replied(case.id, message="All browsers.")
    desk.resolve(case.id, by="agent:kim", resolution="Rolled back release 4.2")
    desk.validate(case.id, by="qa:lee")  # quality check passed
    closed = desk.confirm(case.id)  # the client confirms -> closed

    print(
        f"case {closed.id}: {closed.state}, priority {closed.priority} ({closed.priority_reason})"
    )
    for recorded in desk.history(case.id):
        print(f"  {recorded.seq:>2} {recorded.event.TYPE:<22} by {recorded.event.by}")
    print("hash chain verified:", desk.verify(case.id).ok)
    print("closed cases in this file:", desk.count(state="closed"))
    desk.close()


if __name__ == "__main__":
    main()
