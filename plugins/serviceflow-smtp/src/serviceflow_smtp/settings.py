"""What configures an SMTP notifier, checked once, from Python arguments or the environment."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType

from attrs import field, frozen
from serviceflow.domain import AUDIENCES
from serviceflow.errors import PluginError

from serviceflow_smtp.mail import ADDRESS, MailTemplates, address_of, reply_to_problem

ENVIRONMENT: Mapping[str, str] = MappingProxyType(
    {
        "host": "SERVICEFLOW_SMTP_HOST",
        "port": "SERVICEFLOW_SMTP_PORT",
        "sender": "SERVICEFLOW_SMTP_SENDER",
        "starttls": "SERVICEFLOW_SMTP_STARTTLS",
        "username": "SERVICEFLOW_SMTP_USERNAME",
        "password": "SERVICEFLOW_SMTP_PASSWORD",
        "cafile": "SERVICEFLOW_SMTP_CAFILE",
        "timeout": "SERVICEFLOW_SMTP_TIMEOUT",
        "reply_to": "SERVICEFLOW_SMTP_REPLY_TO",
        "subject": "SERVICEFLOW_SMTP_SUBJECT",
        "body": "SERVICEFLOW_SMTP_BODY_FILE",
        "address_book": "SERVICEFLOW_SMTP_ADDRESS_BOOK",
        "audiences": "SERVICEFLOW_SMTP_AUDIENCES",
    }
)
"""Each setting and the environment variable that sets it for the entry-point notifier."""

_YES = ("1", "true", "yes", "on")
_NO = ("0", "false", "no", "off")


def _frozen_map(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(value))


@frozen(kw_only=True)
class SmtpSettings:
    """The server, the sender, how to log in, and how messages are written and addressed.

    ``reply_to`` is a pattern such as ``support+{case_id}@example.com`` (empty: replies go
    to the sender). ``address_book`` maps desk ids (``manager:ops``) to addresses.
    ``audiences`` are the notifications this notifier emails; others it takes unsent.
    """

    host: str
    port: int
    sender: str
    starttls: bool = False
    username: str = ""
    password: str = field(default="", repr=False)
    cafile: str = ""
    timeout: float = 30.0
    reply_to: str = ""
    templates: MailTemplates = field(factory=MailTemplates)
    address_book: Mapping[str, str] = field(factory=dict, converter=_frozen_map)
    audiences: tuple[str, ...] = AUDIENCES

    def problems(self) -> Iterator[tuple[str, str]]:
        """Each setting that is wrong, as ``(setting, what is wrong)``."""
        if not self.host.strip() or any(c.isspace() for c in self.host):
            yield "host", "expected a host name or address"
        if not 0 < self.port < 65536:
            yield "port", "expected a port number from 1 to 65535"
        if not address_of(self.sender):
            yield "sender", "expected an address, like 'Help desk <help@example.com>'"
        if bool(self.username) != bool(self.password):
            yield "username", "a login needs both a username and a password"
        if self.username and not self.starttls:
            yield "username", "login needs starttls (the password would cross the network in clear)"
        if self.cafile and not self.starttls:
            yield "cafile", "only used with starttls; turn starttls on or leave cafile out"
        elif self.cafile and not Path(self.cafile).is_file():
            yield "cafile", "no such file"
        if not (math.isfinite(self.timeout) and self.timeout > 0):
            yield "timeout", "must be a number of seconds greater than 0"
        if self.reply_to:
            problem = reply_to_problem(self.reply_to)
            if problem:
                yield "reply_to", problem
        for part, problem in self.templates.problems():
            yield "body" if part == "body" else "subject", problem
        for name, address in self.address_book.items():
            if not ADDRESS.fullmatch(address):
                yield "address_book", f"{name!r} maps to {address!r}, which is not an address"
        if not self.audiences:
            yield "audiences", f"name at least one of {', '.join(AUDIENCES)}"
        for audience in self.audiences:
            if audience not in AUDIENCES:
                yield "audiences", f"unknown audience {audience!r} (known: {', '.join(AUDIENCES)})"

    def checked(self, names: Mapping[str, str] | None = None) -> SmtpSettings:
        """These settings, or a ``PluginError`` listing every problem; a problem names the
        setting as ``names`` says (an environment variable) and shows its value."""
        found = [
            f"{(names or {}).get(setting, setting)}={self._shown(setting)}: {message}"
            for setting, message in self.problems()
        ]
        if found:
            raise PluginError("SMTP notifier is misconfigured: " + "; ".join(found))
        return self

    def _shown(self, setting: str) -> str:
        if setting == "password":
            return "(hidden)"
        if setting in ("subject", "body"):
            return repr(getattr(self.templates, setting)[:60])
        if setting == "address_book":
            return "{...}"
        return repr(getattr(self, setting))


def from_environment(environ: Mapping[str, str]) -> SmtpSettings | None:
    """Settings from ``SERVICEFLOW_SMTP_*`` variables, or ``None`` when the host is unset.

    Every unreadable or invalid value is a ``PluginError`` naming the variable and value.
    """
    host = environ.get(ENVIRONMENT["host"], "").strip()
    if not host:
        return None
    read = _Reader(environ)
    starttls = read.flag("starttls")
    port = read.whole("port", 587 if starttls else 25)
    templates = MailTemplates(
        subject=read.text("subject") or MailTemplates().subject,
        body=read.file("body") or MailTemplates().body,
    )
    audiences = read.text("audiences")
    settings = SmtpSettings(
        host=host,
        port=port,
        sender=read.text("sender"),
        starttls=starttls,
        username=read.text("username"),
        password=environ.get(ENVIRONMENT["password"], ""),
        cafile=read.text("cafile"),
        timeout=read.number("timeout", 30.0),
        reply_to=read.text("reply_to"),
        templates=templates,
        address_book=read.pairs("address_book"),
        audiences=tuple(a.strip() for a in audiences.split(",")) if audiences else AUDIENCES,
    )
    if read.bad:
        raise PluginError("SMTP notifier is misconfigured: " + "; ".join(read.bad))
    names = dict(ENVIRONMENT)
    if not environ.get(ENVIRONMENT["port"], "").strip():
        names["port"] = f"{ENVIRONMENT['port']} (default)"
    return settings.checked(names)


class _Reader:
    """Reads typed values from the environment, collecting every unreadable one."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.bad: list[str] = []

    def text(self, setting: str) -> str:
        """The variable's value, stripped; empty when unset."""
        return self.environ.get(ENVIRONMENT[setting], "").strip()

    def flag(self, setting: str) -> bool:
        """A yes/no value (1/true/yes/on, 0/false/no/off); no when unset."""
        text = self.text(setting)
        if text.lower() in _YES:
            return True
        if text and text.lower() not in _NO:
            self.bad.append(f"{ENVIRONMENT[setting]}={text!r}: expected one of yes, no, 1, 0")
        return False

    def whole(self, setting: str, default: int) -> int:
        """A whole number; ``default`` when unset."""
        text = self.text(setting)
        try:
            return int(text) if text else default
        except ValueError:
            self.bad.append(f"{ENVIRONMENT[setting]}={text!r}: expected a whole number")
            return default

    def number(self, setting: str, default: float) -> float:
        """A number; ``default`` when unset."""
        text = self.text(setting)
        try:
            return float(text) if text else default
        except ValueError:
            self.bad.append(f"{ENVIRONMENT[setting]}={text!r}: expected a number of seconds")
            return default

    def file(self, setting: str) -> str:
        """The UTF-8 text of the file the variable names; empty when unset."""
        path = self.text(setting)
        if not path:
            return ""
        try:
            return Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            self.bad.append(f"{ENVIRONMENT[setting]}={path!r}: cannot read ({reason or exc})")
            return ""

    def pairs(self, setting: str) -> dict[str, str]:
        """``name=address`` entries separated by commas or new lines."""
        found: dict[str, str] = {}
        for entry in self.text(setting).replace("\n", ",").split(","):
            if not entry.strip():
                continue
            name, equals, address = entry.partition("=")
            if not equals or not name.strip():
                self.bad.append(
                    f"{ENVIRONMENT[setting]}: entry {entry.strip()!r} is not name=address"
                )
                continue
            found[name.strip()] = address.strip()
        return found
