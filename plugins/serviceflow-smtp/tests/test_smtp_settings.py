"""Configuration: Python arguments and environment variables, checked with clear errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from serviceflow.errors import PluginError
from serviceflow.eventlog import notifier_names
from serviceflow.plugins import Unconfigured, plugin_manager

from serviceflow_smtp import MailTemplates, SmtpNotifier, from_environment
from serviceflow_smtp.entry import from_env

HOST = "SERVICEFLOW_SMTP_HOST"
SENDER = "SERVICEFLOW_SMTP_SENDER"
BASE = {HOST: "mail.example", SENDER: "Help <help@desk.test>"}


def test_an_unset_host_configures_nothing_and_the_placeholder_has_no_hook() -> None:
    assert from_environment({}) is None
    assert from_environment({HOST: " ", SENDER: "help@desk.test"}) is None
    placeholder = from_env({})
    assert isinstance(placeholder, Unconfigured)
    manager = plugin_manager([placeholder], entry_points=False)
    assert manager.get_plugin("smtp") is placeholder
    assert [name for name, _ in notifier_names(manager)] == ["serviceflow.notifiers.log"]


def test_the_environment_sets_every_setting(tmp_path: Path) -> None:
    body = tmp_path / "body.txt"
    body.write_text("$text\n-- \nAcme Help\n", encoding="utf-8")
    cafile = tmp_path / "ca.pem"
    cafile.write_text("not read until a message is sent", encoding="utf-8")
    settings = from_environment(
        {
            **BASE,
            "SERVICEFLOW_SMTP_STARTTLS": "yes",
            "SERVICEFLOW_SMTP_USERNAME": "desk",
            "SERVICEFLOW_SMTP_PASSWORD": "pw",
            "SERVICEFLOW_SMTP_CAFILE": str(cafile),
            "SERVICEFLOW_SMTP_TIMEOUT": "12.5",
            "SERVICEFLOW_SMTP_REPLY_TO": "support+{case_id}@desk.test",
            "SERVICEFLOW_SMTP_SUBJECT": "Re: $subject",
            "SERVICEFLOW_SMTP_BODY_FILE": str(body),
            "SERVICEFLOW_SMTP_ADDRESS_BOOK": "manager:ops=ops@desk.test,\nagent:kim = kim@x.test",
            "SERVICEFLOW_SMTP_AUDIENCES": "client",
        }
    )
    assert settings is not None
    assert (settings.host, settings.port, settings.starttls) == ("mail.example", 587, True)
    assert (settings.username, settings.password, settings.timeout) == ("desk", "pw", 12.5)
    assert settings.cafile == str(cafile)
    assert settings.reply_to == "support+{case_id}@desk.test"
    assert settings.templates == MailTemplates(
        subject="Re: $subject", body="$text\n-- \nAcme Help\n"
    )
    assert dict(settings.address_book) == {
        "manager:ops": "ops@desk.test",
        "agent:kim": "kim@x.test",
    }
    assert settings.audiences == ("client",)
    assert "pw" not in repr(settings)
    plain = from_environment(BASE)
    assert plain is not None
    assert (plain.port, plain.starttls, plain.audiences) == (25, False, ("client", "internal"))
    notifier = from_env(BASE)
    assert isinstance(notifier, SmtpNotifier)
    assert notifier.__name__ == "smtp", "the name the outbox records"


@pytest.mark.parametrize(
    ("environ", "says"),
    [
        ({HOST: "mail.example"}, "SERVICEFLOW_SMTP_SENDER='': expected an address"),
        ({**BASE, SENDER: "help desk"}, "SERVICEFLOW_SMTP_SENDER='help desk': expected an"),
        ({**BASE, "SERVICEFLOW_SMTP_PORT": "smtp"}, "SERVICEFLOW_SMTP_PORT='smtp': expected a"),
        ({**BASE, "SERVICEFLOW_SMTP_PORT": "70000"}, "SERVICEFLOW_SMTP_PORT=70000: expected a"),
        ({**BASE, "SERVICEFLOW_SMTP_STARTTLS": "maybe"}, "STARTTLS='maybe': expected one of"),
        ({**BASE, "SERVICEFLOW_SMTP_TIMEOUT": "-1"}, "SERVICEFLOW_SMTP_TIMEOUT=-1.0: must be"),
        (
            {**BASE, "SERVICEFLOW_SMTP_USERNAME": "desk", "SERVICEFLOW_SMTP_PASSWORD": "pw"},
            "SERVICEFLOW_SMTP_USERNAME='desk': login needs starttls",
        ),
        (
            {**BASE, "SERVICEFLOW_SMTP_STARTTLS": "1", "SERVICEFLOW_SMTP_USERNAME": "desk"},
            "SERVICEFLOW_SMTP_USERNAME='desk': a login needs both a username and a password",
        ),
        (
            {**BASE, "SERVICEFLOW_SMTP_CAFILE": "/nowhere/ca.pem"},
            "SERVICEFLOW_SMTP_CAFILE='/nowhere/ca.pem': only used with starttls",
        ),
        (
            {**BASE, "SERVICEFLOW_SMTP_STARTTLS": "on", "SERVICEFLOW_SMTP_CAFILE": "/no/ca.pem"},
            "SERVICEFLOW_SMTP_CAFILE='/no/ca.pem': no such file",
        ),
        (
            {**BASE, "SERVICEFLOW_SMTP_REPLY_TO": "support+{id}@desk.test"},
            "SERVICEFLOW_SMTP_REPLY_TO='support+{id}@desk.test': the only field allowed",
        ),
        (
            {**BASE, "SERVICEFLOW_SMTP_SUBJECT": "$case"},
            "SERVICEFLOW_SMTP_SUBJECT='$case': unknown variable $case",
        ),
        (
            {**BASE, "SERVICEFLOW_SMTP_BODY_FILE": "/nowhere/body.txt"},
            "SERVICEFLOW_SMTP_BODY_FILE='/nowhere/body.txt': cannot read (No such file",
        ),
        (
            {**BASE, "SERVICEFLOW_SMTP_ADDRESS_BOOK": "manager:ops"},
            "SERVICEFLOW_SMTP_ADDRESS_BOOK: entry 'manager:ops' is not name=address",
        ),
        (
            {**BASE, "SERVICEFLOW_SMTP_ADDRESS_BOOK": "manager:ops=ops"},
            "SERVICEFLOW_SMTP_ADDRESS_BOOK={...}: 'manager:ops' maps to 'ops', which is not",
        ),
        (
            {**BASE, "SERVICEFLOW_SMTP_AUDIENCES": "clients"},
            "SERVICEFLOW_SMTP_AUDIENCES=('clients',): unknown audience 'clients'",
        ),
    ],
)
def test_a_bad_environment_is_a_plugin_error_naming_variable_and_value(
    environ: dict[str, str], says: str
) -> None:
    with pytest.raises(PluginError, match=re.escape(says)):
        from_env(environ)


def test_bad_arguments_name_the_parameter_and_hide_the_password() -> None:
    with pytest.raises(PluginError) as raised:
        SmtpNotifier("", 0, "nobody", username="desk", password="s3cret")
    assert str(raised.value) == (
        "SMTP notifier is misconfigured: host='': expected a host name or address; "
        "port=0: expected a port number from 1 to 65535; "
        "sender='nobody': expected an address, like 'Help desk <help@example.com>'; "
        "username='desk': login needs starttls (the password would cross the network in clear)"
    )
    assert "s3cret" not in str(raised.value)
