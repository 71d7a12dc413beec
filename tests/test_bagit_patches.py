"""The run-time patches to bagit's private functions hold only for the bagit they were written for.

``archive/bagging/bagit_patches.py`` replaces or calls private functions of bagit. A new bagit may
rename them, change their arguments or change what they return without notice, and the bags
would then be made wrong in silence. These tests fail first, with what to do.
"""

from __future__ import annotations

import inspect
import tomllib
from importlib.metadata import version
from pathlib import Path

import bagit
import pytest

from archive.bagging.bagit_patches import BAGIT_VERSION, PATCHED

ROOT = Path(__file__).resolve().parent.parent
REDO = ("re-read each function named in PATCHED in the new bagit, adapt the patches in "
        "archive/bagging/bagit_patches.py, then update BAGIT_VERSION, PATCHED and the pin in pyproject.toml")


def test_the_installed_bagit_is_the_one_the_patches_were_written_for():
    installed = version("bagit")
    assert installed == BAGIT_VERSION, (
        f"bagit {installed} is installed, but archive/bagging/bagit_patches.py patches private "
        f"functions of bagit {BAGIT_VERSION}: {REDO}")


def test_pyproject_pins_the_bagit_the_patches_were_written_for():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    dependencies = project["dependencies"]
    pins = [d for d in dependencies if d.replace(" ", "").startswith("bagit")]
    assert pins == [f"bagit=={BAGIT_VERSION}"], (
        f"pyproject.toml asks for {pins}, but the patches were written for bagit=={BAGIT_VERSION}: {REDO}")


@pytest.mark.parametrize("name", sorted(PATCHED))
def test_each_patched_bagit_function_still_has_the_signature_it_was_written_for(name):
    target: object = bagit
    for part in name.split("."):
        target = getattr(target, part, None)
        assert target is not None, f"bagit.{name} no longer exists: {REDO}"
    found = str(inspect.signature(target))  # type: ignore[arg-type]
    assert found == PATCHED[name], f"bagit.{name}{found} is not bagit.{name}{PATCHED[name]}: {REDO}"

