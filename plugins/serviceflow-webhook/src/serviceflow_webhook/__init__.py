"""serviceflow-webhook: a notifier that POSTs each message as JSON, signed with HMAC-SHA256.

``WebhookNotifier`` for use from Python; the ``webhook`` entry point builds one from
``SERVICEFLOW_WEBHOOK_*`` variables; receivers check requests with ``verify_signature``.
"""

from __future__ import annotations

from serviceflow_webhook.notifier import DeliveryError, WebhookNotifier, idempotency_key, payload
from serviceflow_webhook.settings import ENVIRONMENT, WebhookSettings, from_environment
from serviceflow_webhook.signature import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureError,
    sign,
    verify_signature,
)

__all__ = [
    "ENVIRONMENT",
    "IDEMPOTENCY_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "DeliveryError",
    "SignatureError",
    "WebhookNotifier",
    "WebhookSettings",
    "from_environment",
    "idempotency_key",
    "payload",
    "sign",
    "verify_signature",
]
