"""The signature: HMAC-SHA256 of timestamp.body, checked against openssl and refused when off."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from serviceflow_webhook import SignatureError, sign, verify_signature

BODY = b'{"case_id":"C-1","text":"caf\xc3\xa9"}'
NOW = 1_772_442_000.0


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed: no independent HMAC to compare with")
    digest = subprocess.run(
        [openssl, "dgst", "-sha256", "-hmac", "s3cret", "-r"],
        input=b"1772442000." + BODY,
        capture_output=True,
        check=True,
    ).stdout.split()[0]
    assert sign("s3cret", "1772442000", BODY) == "sha256=" + digest.decode()
    assert sign(b"s3cret", "1772442000", BODY) == sign("s3cret", "1772442000", BODY)


def test_a_good_signature_within_tolerance_passes() -> None:
    header = sign("s3cret", "1772442000", BODY)
    verify_signature("s3cret", "1772442000", BODY, header, now=NOW)
    verify_signature("s3cret", "1772442000", BODY, header, 300, now=NOW + 300)
    verify_signature("s3cret", "1772442000", BODY, header, 300, now=NOW - 300)


@pytest.mark.parametrize(
    ("secret", "timestamp", "body", "header", "now", "says"),
    [
        ("other", "1772442000", BODY, None, NOW, "does not match the body and timestamp"),
        ("s3cret", "1772442000", BODY + b" ", None, NOW, "does not match"),
        ("s3cret", "1772442001", BODY, None, NOW, "does not match"),
        ("s3cret", "1772442000", BODY, None, NOW + 301, "is 301s old; at most 300s"),
        ("s3cret", "1772442000", BODY, None, NOW - 400, "is 400s in the future"),
        ("s3cret", "17724420OO", BODY, None, NOW, "expected whole seconds since the epoch"),
        ("s3cret", "1772442000", BODY, "md5=abc", NOW, "expected 'sha256=<hex>', got 'md5=abc'"),
        ("s3cret", "1772442000", BODY, "sha256=" + "0" * 64, NOW, "does not match"),
    ],
)
def test_a_bad_request_is_refused_with_the_reason(
    secret: str, timestamp: str, body: bytes, header: str | None, now: float, says: str
) -> None:
    signed = header if header is not None else sign("s3cret", "1772442000", BODY)
    with pytest.raises(SignatureError, match=re.escape(says)):
        verify_signature(secret, timestamp, body, signed, 300, now=now)
