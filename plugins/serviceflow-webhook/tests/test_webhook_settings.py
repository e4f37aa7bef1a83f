"""Configuration: Python arguments and environment variables, checked with clear errors."""

from __future__ import annotations

import re

import pytest
from serviceflow.errors import PluginError
from serviceflow.eventlog import notifier_names
from serviceflow.plugins import Unconfigured, plugin_manager

from serviceflow_webhook import WebhookNotifier, from_environment
from serviceflow_webhook.entry import from_env

URL = "SERVICEFLOW_WEBHOOK_URL"
SECRET = "SERVICEFLOW_WEBHOOK_SECRET"


def test_an_unset_url_configures_nothing_and_the_placeholder_has_no_hook() -> None:
    assert from_environment({}) is None
    assert from_environment({URL: "  ", SECRET: "k"}) is None
    placeholder = from_env({})
    assert isinstance(placeholder, Unconfigured)
    manager = plugin_manager([placeholder], entry_points=False)
    assert manager.get_plugin("webhook") is placeholder
    assert [name for name, _ in notifier_names(manager)] == ["serviceflow.notifiers.log"]


def test_the_environment_sets_every_setting() -> None:
    settings = from_environment(
        {
            URL: "https://hooks.example/serviceflow",
            SECRET: "s3cret",
            "SERVICEFLOW_WEBHOOK_TIMEOUT": "4.5",
            "SERVICEFLOW_WEBHOOK_CONNECT_TIMEOUT": "2",
            "SERVICEFLOW_WEBHOOK_RETRIES": "0",
            "SERVICEFLOW_WEBHOOK_BACKOFF": "0.25",
            "SERVICEFLOW_WEBHOOK_MAX_BACKOFF": "3",
            "SERVICEFLOW_WEBHOOK_RETRY_AFTER_CAP": "12",
        }
    )
    assert settings is not None
    assert (settings.timeout, settings.connect_timeout, settings.retries) == (4.5, 2.0, 0)
    assert (settings.backoff, settings.max_backoff, settings.retry_after_cap) == (0.25, 3.0, 12.0)
    notifier = from_env({URL: "https://hooks.example/serviceflow", SECRET: "s3cret"})
    assert isinstance(notifier, WebhookNotifier)
    assert notifier.__name__ == "webhook", "the name the outbox records"
    notifier.close()


@pytest.mark.parametrize(
    ("environ", "says"),
    [
        ({URL: "hooks.example/x", SECRET: "k"}, f"{URL}='hooks.example/x': expected an http://"),
        ({URL: "ftp://hooks.example", SECRET: "k"}, f"{URL}='ftp://hooks.example': expected"),
        ({URL: "http://h:99999/", SECRET: "k"}, f"{URL}='http://h:99999/': the port must be"),
        ({URL: "http://a b.example/", SECRET: "k"}, f"{URL}='http://a b.example/': the host must"),
        (
            {URL: "http://h.example/\x01", SECRET: "k"},
            f"{URL}='http://h.example/\\x01': not a valid",
        ),
        ({URL: "https://h.example/x"}, f"{SECRET}=(empty): must not be empty"),
        (
            {URL: "https://h.example/x", SECRET: "k", "SERVICEFLOW_WEBHOOK_RETRIES": "many"},
            "SERVICEFLOW_WEBHOOK_RETRIES='many': expected a whole number",
        ),
        (
            {URL: "https://h.example/x", SECRET: "k", "SERVICEFLOW_WEBHOOK_TIMEOUT": "5s"},
            "SERVICEFLOW_WEBHOOK_TIMEOUT='5s': expected a number of seconds",
        ),
        (
            {URL: "https://h.example/x", SECRET: "k", "SERVICEFLOW_WEBHOOK_TIMEOUT": "0"},
            "SERVICEFLOW_WEBHOOK_TIMEOUT=0.0: must be a number of seconds greater than 0",
        ),
        (
            {URL: "https://h.example/x", SECRET: "k", "SERVICEFLOW_WEBHOOK_RETRIES": "-1"},
            "SERVICEFLOW_WEBHOOK_RETRIES=-1: must be 0 or more",
        ),
    ],
)
def test_a_bad_environment_is_a_plugin_error_naming_variable_and_value(
    environ: dict[str, str], says: str
) -> None:
    with pytest.raises(PluginError, match=re.escape(says)):
        from_env(environ)


def test_the_secret_and_credentials_are_never_shown() -> None:
    with pytest.raises(PluginError) as raised:
        from_environment({URL: "ftp://user:pw@h.example/x?token=t0k", SECRET: "s3cret"})
    assert "pw" not in str(raised.value)
    assert "t0k" not in str(raised.value)
    assert "s3cret" not in str(raised.value)


def test_bad_arguments_name_the_parameter() -> None:
    with pytest.raises(PluginError) as raised:
        WebhookNotifier("nope", secret="", timeout=-1, backoff=float("nan"))
    assert str(raised.value) == (
        "webhook notifier is misconfigured: url='nope': expected an http:// or https:// URL "
        "with a host; secret=(empty): must not be empty (it signs every request); "
        "timeout=-1: must be a number of seconds greater than 0; "
        "backoff=nan: must be a number of seconds, 0 or more"
    )
