"""A non-editable install finds its schemas and sample records at run time, away from the checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import REPO, SEED, SEED_SHA256


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel built from this checkout, installed into a folder of its own."""
    work = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(work / "dist"), str(REPO)],
        capture_output=True, text=True,
    )
    assert build.returncode == 0, build.stderr
    wheel = next((work / "dist").glob("article_archive-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "archive/schemas/record.schema.json" in names
    assert "archive/schemas/event.schema.json" in names
    assert "archive/sample_records/ankara-ambassador-shooting.txt" in names
    engine = REPO / "archive" / "citation" / "engine"
    engine_files = sorted(p.name for p in engine.iterdir() if p.is_file())
    # citeproc-js runs from the wheel, and its licence (CPAL 3.1) travels with it
    assert {"citeproc.js", "bridge.js", "LICENSE", "citeproc.LICENSE", "CPAL-1.0.txt"} <= set(engine_files)
    for engine_file in engine_files:
        assert f"archive/citation/engine/{engine_file}" in names
    target = work / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
         "--target", str(target), str(wheel)],
        capture_output=True, text=True,
    )
    assert install.returncode == 0, install.stderr
    return target


def run_installed(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    code = (
        "import sys, archive\n"
        f"assert archive.__file__.startswith({str(site)!r}), archive.__file__\n"
        "from archive.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site), "ARCHIVE_NO_PROGRESS": "1"}
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env,
                          capture_output=True, text=True)


def test_the_installed_wheel_validates_with_its_own_schemas(installed: Path, tmp_path: Path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert run_installed(installed, elsewhere, "init", "arc").returncode == 0
    article = elsewhere / "a.txt"
    article.write_bytes(SEED.read_bytes())
    bad = run_installed(installed, elsewhere, "--root", "arc", "add", str(article), "--issued", "2016-99")
    assert bad.returncode == 1
    assert "issued: not a valid date" in bad.stderr
    good = run_installed(installed, elsewhere, "--root", "arc", "add", str(article))
    assert good.returncode == 0, good.stderr
    shown = run_installed(installed, elsewhere, "--root", "arc", "show", good.stdout.strip(), "--json")
    assert json.loads(shown.stdout)["source"]["sha256"] == SEED_SHA256


def test_the_installed_wheel_carries_the_sample_collection(installed: Path):
    sample = installed / "archive" / "sample_records" / SEED.name
    assert sample.read_bytes() == SEED.read_bytes()


def test_a_venv_left_without_pip_by_a_killed_setup_is_made_again(tmp_path: Path):
    """dev.py's set-up killed while the venv was being made leaves a python without pip; the next
    run must make the venv again rather than fail on every run until someone removes it."""
    broken = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(broken)], check=True)
    probe = ("import importlib.util, sys; "
             "spec = importlib.util.spec_from_file_location('dev', sys.argv[1]); "
             "dev = importlib.util.module_from_spec(spec); spec.loader.exec_module(dev); "
             "print(dev._usable())")
    env = {**os.environ, "ARCHIVE_VENV": str(broken)}
    found = subprocess.run([sys.executable, "-c", probe, str(REPO / "dev.py")], env=env,
                           capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False"
    env["ARCHIVE_VENV"] = sys.prefix  # the venv running these tests, which has pip
    found = subprocess.run([sys.executable, "-c", probe, str(REPO / "dev.py")], env=env,
                           capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "True"
