"""Reading a user's TOML file: every failure is a serviceflow error naming the file and why."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serviceflow import PolicyError, ServiceflowError, ValidationError, load_policy
from serviceflow.capacity._forecast_files import load_forecast
from serviceflow.core._toml import load_toml, open_bytes, parse_toml, read_text
from serviceflow.importing._mapping import load_mapping
from serviceflow.simulation._scenario import load_scenario


def refusal(call: Callable[[], object]) -> ValidationError:
    """The ``ValidationError`` a call raises."""
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value


def test_a_file_is_read_as_a_dict(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_text('name = "x"\n[t]\nn = 1\n', encoding="utf-8")
    assert load_toml(path, "thing") == {"name": "x", "t": {"n": 1}}


def test_a_byte_order_mark_is_dropped_and_newlines_are_plain(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b'\xef\xbb\xbfname = "x"\r\ntext = """a\r\nb"""\r\n')
    assert load_toml(path, "thing") == {"name": "x", "text": "a\nb"}


def test_a_missing_file_names_the_file_and_why(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    found = refusal(lambda: load_toml(path, "thing"))
    assert type(found) is ValidationError
    assert str(found) == f"cannot read thing {path}:\n  - No such file or directory"


def test_a_folder_and_a_nul_in_the_path_are_refused(tmp_path: Path) -> None:
    assert refusal(lambda: read_text(tmp_path, "thing")).problems == ("Is a directory",)
    nul = refusal(lambda: read_text(tmp_path / "a\0b.toml", "thing"))
    assert nul.problems == ("embedded null byte",)


def test_text_that_is_not_utf8_names_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin.toml"
    path.write_bytes(b'\xef\xbb\xbfname = "caf\xe9"\n')  # the offset counts the mark too
    found = refusal(lambda: load_toml(path, "thing"))
    assert str(found) == (
        f"cannot read thing {path}:\n  - not UTF-8 text (invalid continuation byte at byte 14)"
    )


def test_a_long_path_is_cut_in_the_heading(tmp_path: Path) -> None:
    path = tmp_path / ("x" * 300)
    heading = str(refusal(lambda: read_text(path, "thing"))).split(":\n")[0]
    assert heading == f"cannot read thing {str(path)[:200]}"


def test_bad_toml_gives_the_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('name = "x"\nsize = \n', encoding="utf-8")
    found = refusal(lambda: load_toml(path, "thing"))
    assert str(found).startswith(f"thing {path} is not valid TOML:\n  - ")
    assert found.problems == ("Invalid value (at line 2, column 8)",)


def test_nesting_too_deep_for_the_parser_is_refused() -> None:
    found = refusal(lambda: parse_toml("a = " + "[" * 50_000, "deep is not valid TOML"))
    assert str(found) == "deep is not valid TOML:\n  - arrays or tables nested too deeply to read"


def test_the_caller_chooses_the_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read policy file"):
        read_text(tmp_path / "absent.toml", "policy file", error=PolicyError)
    with pytest.raises(PolicyError, match="overrides are not valid TOML"):
        parse_toml("= 1", "overrides are not valid TOML", error=PolicyError)

    def nested(heading: str, problems: list[str]) -> ValidationError:
        return ValidationError("outer is invalid", [f"$.file: {heading}: {p}" for p in problems])

    found = refusal(lambda: load_toml(tmp_path / "absent.toml", "file", error=nested))
    assert found.problems == (
        f"$.file: cannot read file {tmp_path / 'absent.toml'}: No such file or directory",
    )


def test_open_bytes_refuses_like_read_text(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    assert str(refusal(lambda: open_bytes(path))) == (
        f"cannot read {path}:\n  - No such file or directory"
    )
    path.write_bytes(b"a,b\n")
    with open_bytes(path) as raw:
        assert raw.read() == b"a,b\n"


LOADERS: dict[str, tuple[Callable[[Path], object], str, str]] = {
    "policy": (load_policy, "cannot read policy file", "policy"),
    "import mapping": (load_mapping, "cannot read import mapping", "import mapping"),
    "scenario": (load_scenario, "cannot read scenario", "scenario"),
    "forecast": (load_forecast, "cannot read forecast", "forecast"),
}


@pytest.mark.parametrize("kind", LOADERS)
def test_every_loader_refuses_alike(tmp_path: Path, kind: str) -> None:
    load, unreadable, what = LOADERS[kind]
    absent = tmp_path / "absent.toml"
    assert (
        str(refusal(lambda: load(absent)))
        == f"{unreadable} {absent}:\n  - No such file or directory"
    )
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b"x = '\xe9'\n")
    assert refusal(lambda: load(latin)).problems == (
        "not UTF-8 text (invalid continuation byte at byte 5)",
    )
    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 50_000, encoding="utf-8")
    assert str(refusal(lambda: load(deep))).startswith(f"{what} {deep} is not valid TOML:")


def test_a_scenario_reports_its_policy_file_under_its_key(tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text('name = "s"\npolicy_file = "desk.toml"\n', encoding="utf-8")
    found = refusal(lambda: load_scenario(scenario))
    desk = tmp_path / "desk.toml"
    assert found.problems == (
        f"$.policy_file: cannot read policy file {desk}: No such file or directory",
    )
    desk.write_text("name = \n", encoding="utf-8")
    assert refusal(lambda: load_scenario(scenario)).problems == (
        f"$.policy_file: policy file {desk} is not valid TOML: Invalid value (at line 1, column 8)",
    )


def test_a_policy_file_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_bytes(b'\xef\xbb\xbfname = "marked"\n')
    assert load_policy(path).name == "marked"


TOMLISH = st.lists(
    st.sampled_from(
        [
            b"a = 1\n",
            b"[t]\n",
            b"[[t]]\n",
            b"x = [",
            b"]",
            b"{",
            b"}",
            b'"',
            b"'''",
            b"=",
            b"\xef\xbb\xbf",
            b"\xff",
            b"\r",
            b"\n",
            b"\0",
            b"1979-05-27T07:32:00Z",
            b"inf",
        ]
    )
).map(b"".join)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.one_of(st.binary(), TOMLISH, st.text().map(str.encode)))
def test_any_bytes_give_a_mapping_or_a_serviceflow_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "any.toml"
    path.write_bytes(data)
    outcome: object
    try:
        outcome = load_toml(path, "thing")
    except ServiceflowError as exc:
        outcome = exc
    if isinstance(outcome, ServiceflowError):
        heading = str(outcome).split(":\n")[0]
        assert heading in (f"cannot read thing {path}", f"thing {path} is not valid TOML")
    else:
        assert isinstance(outcome, dict)
