"""serviceflow-smtp: a notifier that emails each message, threaded on its case.

``SmtpNotifier`` for use from Python; the ``smtp`` entry point builds one from
``SERVICEFLOW_SMTP_*`` variables.
"""

from __future__ import annotations

from serviceflow_smtp.mail import VARIABLES, MailTemplates, compose, message_id, thread_id
from serviceflow_smtp.notifier import DeliveryError, NoAddress, SmtpNotifier, recipient_of
from serviceflow_smtp.settings import ENVIRONMENT, SmtpSettings, from_environment

__all__ = [
    "ENVIRONMENT",
    "VARIABLES",
    "DeliveryError",
    "MailTemplates",
    "NoAddress",
    "SmtpNotifier",
    "SmtpSettings",
    "compose",
    "from_environment",
    "message_id",
    "recipient_of",
    "thread_id",
]
