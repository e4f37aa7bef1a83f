"""Store URLs: libpq's part, the store's own options, and passwords kept out of messages."""

from __future__ import annotations

import pytest
from serviceflow.errors import StoreError

from serviceflow_postgres import parse_address, redact


def test_a_plain_url_gets_the_default_schema_pool_and_connect_timeout() -> None:
    address = parse_address("postgresql://postgres@127.0.0.1:5432/test")
    assert address.schema == "serviceflow"
    assert (address.pool_min, address.pool_max) == (1, 10)
    assert address.conninfo == "postgresql://postgres@127.0.0.1:5432/test?connect_timeout=10"
    assert address.url == "postgresql://postgres@127.0.0.1:5432/test"


def test_store_options_are_taken_and_libpq_ones_passed_on() -> None:
    address = parse_address(
        "postgres://app@db/desk?schema=Desk_2&sslmode=prefer&pool_min=2&pool_max=4"
        "&connect_timeout=3&application_name=worker"
    )
    assert address.schema == "Desk_2"
    assert (address.pool_min, address.pool_max) == (2, 4)
    assert address.conninfo == (
        "postgres://app@db/desk?sslmode=prefer&connect_timeout=3&application_name=worker"
    )


def test_passwords_are_redacted_in_the_user_part_and_in_parameters() -> None:
    assert redact("postgresql://app:s3cret@db:5432/desk?schema=x") == (
        "postgresql://app:***@db:5432/desk?schema=x"
    )
    assert redact("postgresql://app@db/desk?password=s3cret&sslmode=require") == (
        "postgresql://app@db/desk?password=***&sslmode=require"
    )
    address = parse_address("postgresql://app:s3cret@db/desk")
    assert "s3cret" not in address.url
    assert "s3cret" in address.conninfo, "libpq still gets it"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://app@db/desk", "write postgresql://user@host:5432/database"),
        ("postgresql://app@db", "no database named"),
        ("postgresql://app@db/", "no database named"),
        ("postgresql://app@db/desk?schema=1st", "schema='1st' is not a plain identifier"),
        ("postgresql://app@db/desk?schema=a;drop", "is not a plain identifier"),
        ("postgresql://app@db/desk?schema=" + "s" * 64, "at most 63"),
        ("postgresql://app@db/desk?pool_max=0", "pool_max='0' must be a whole number"),
        ("postgresql://app@db/desk?pool_min=two", "pool_min='two' must be a whole number"),
        ("postgresql://app@db/desk?pool_min=5&pool_max=2", "pool_max=2 is less than pool_min=5"),
    ],
)
def test_bad_urls_are_store_errors_naming_the_url(url: str, message: str) -> None:
    secret = url.replace("app@", "app:s3cret@")
    with pytest.raises(StoreError) as error:
        parse_address(secret)
    assert str(error.value).startswith(secret.split("@")[0].replace("s3cret", "***"))
    assert message in str(error.value)
    assert "s3cret" not in str(error.value)
