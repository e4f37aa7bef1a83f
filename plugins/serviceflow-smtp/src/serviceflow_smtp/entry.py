"""The entry-point plugin: an SMTP notifier when ``SERVICEFLOW_SMTP_HOST`` is set.

Read once, when the plugin manager loads entry points. Without the host the object has no
hook at all, so installing the distribution changes nothing until it is configured.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from serviceflow.plugins import Unconfigured

from serviceflow_smtp.notifier import SmtpNotifier
from serviceflow_smtp.settings import ENVIRONMENT, from_environment

ENTRY_POINT = "smtp"
"""The entry point's name, which is also the plugin name the outbox records."""


def from_env(environ: Mapping[str, str]) -> SmtpNotifier | Unconfigured:
    """The notifier ``environ`` configures, else an ``Unconfigured`` placeholder with no hook.

    Raises ``PluginError`` naming the variable and value of a bad setting.
    """
    settings = from_environment(environ)
    if settings is None:
        return Unconfigured(ENTRY_POINT, ENVIRONMENT["host"])
    return SmtpNotifier.of(settings, name=ENTRY_POINT)


plugin = from_env(os.environ)
"""What the ``serviceflow`` entry point ``smtp`` registers."""
