"""0.1's import paths keep working for one release: each warns and gives the same object."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import serviceflow
from serviceflow import _moved


@pytest.mark.parametrize("old", sorted(_moved.MOVED))
def test_an_old_module_path_warns_and_is_the_moved_module(old: str) -> None:
    new = importlib.import_module(_moved.MOVED[old])
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=rf"{old} moved to serviceflow\."):
        module = importlib.import_module(old)
    assert module is new
    assert module.__spec__ is not None
    assert module.__spec__.name == new.__name__, "the module keeps its own spec"


@pytest.mark.parametrize("name", sorted(serviceflow._MOVED_NAMES))
def test_an_old_top_level_name_warns_and_is_the_same_object(name: str) -> None:
    module = importlib.import_module(serviceflow._MOVED_NAMES[name])
    with pytest.warns(DeprecationWarning, match=rf"serviceflow\.{name} moved to"):
        value = getattr(serviceflow, name)
    assert value is getattr(module, name)


def test_the_face_loads_lazily_and_names_are_real() -> None:
    for name in serviceflow.__all__:
        assert getattr(serviceflow, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        serviceflow.Nope  # noqa: B018
    code = "import sys, serviceflow; print(sorted(m for m in sys.modules if 'serviceflow' in m))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['serviceflow', 'serviceflow._moved']"


def test_an_old_path_in_a_from_import_warns_where_it_is_written() -> None:
    sys.modules.pop("serviceflow.sla_policy", None)
    code = compile("from serviceflow.sla_policy import ServiceLevel", __file__, "exec")
    with pytest.warns(DeprecationWarning, match="sla_policy moved") as caught:
        exec(code, {})
    assert caught[0].filename == __file__
