"""The entry-point plugin: a webhook notifier when ``SERVICEFLOW_WEBHOOK_URL`` is set.

Read once, when the plugin manager loads entry points. Without the URL the object has no
hook at all, so installing the distribution changes nothing until it is configured.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from serviceflow.plugins import Unconfigured

from serviceflow_webhook.notifier import WebhookNotifier
from serviceflow_webhook.settings import ENVIRONMENT, from_environment

ENTRY_POINT = "webhook"
"""The entry point's name, which is also the plugin name the outbox records."""


def from_env(environ: Mapping[str, str]) -> WebhookNotifier | Unconfigured:
    """The notifier ``environ`` configures, else an ``Unconfigured`` placeholder with no hook.

    Raises ``PluginError`` naming the variable and value of a bad setting.
    """
    settings = from_environment(environ)
    if settings is None:
        return Unconfigured(ENTRY_POINT, ENVIRONMENT["url"])
    return WebhookNotifier.of(settings, name=ENTRY_POINT)


plugin = from_env(os.environ)
"""What the ``serviceflow`` entry point ``webhook`` registers."""
