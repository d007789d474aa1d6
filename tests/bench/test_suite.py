"""`python -m bench suite` measures the reference's tests on today's code: the tests it picks from the reference's
history, the plugin that runs only those, and the figures it reads off a run's output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.suite import passed_and_seconds, reference_tests
from bench.suite_select import VARIABLE

REPO = Path(__file__).resolve().parents[2]


def git(folder: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(folder), *args], capture_output=True, text=True, check=True
    ).stdout


def commit(folder: Path, message: str) -> None:
    git(folder, "add", ".")
    git(folder, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", message)


def test_the_reference_tests_are_the_test_functions_its_commit_held(tmp_path):
    (tmp_path / "tests" / "old").mkdir(parents=True)
    (tmp_path / "tests" / "old" / "test_a.py").write_text(
        "def test_one():\n    pass\n\n\ndef test_two():\n    pass\n\n\nclass TestThree:\n"
        "    def test_three(self):\n        pass\n"
    )
    (tmp_path / "tests" / "helpers.py").write_text("def test_looking_helper():\n    pass\n")
    git(tmp_path, "init", "-q")
    commit(tmp_path, "reference")
    reference = git(tmp_path, "rev-parse", "--short", "HEAD").strip()
    # Later: a test removed and one added; the reference's list is still its own.
    (tmp_path / "tests" / "old" / "test_a.py").write_text(
        "def test_one():\n    pass\n\n\ndef test_new():\n    pass\n"
    )
    commit(tmp_path, "later")

    assert reference_tests(tmp_path, reference) == [
        "test_a.py::test_one",
        "test_a.py::test_three",
        "test_a.py::test_two",
    ]
    assert reference_tests(tmp_path, "HEAD") == ["test_a.py::test_new", "test_a.py::test_one"]


def test_the_plugin_runs_the_listed_tests_with_their_parameters_wherever_their_file_moved(tmp_path):
    moved = tmp_path / "tests" / "moved"
    moved.mkdir(parents=True)
    (moved / "test_a.py").write_text(
        "import pytest\n\n\n@pytest.mark.parametrize('n', [1, 2])\ndef test_one(n):\n    pass\n\n\n"
        "def test_added_since():\n    pass\n"
    )
    (tmp_path / "tests" / "test_b.py").write_text("def test_one():\n    raise AssertionError\n")
    listed = tmp_path / "listed.txt"
    listed.write_text("test_a.py::test_one\n")
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env |= {"PYTHONPATH": str(REPO), VARIABLE: str(listed)}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "bench.suite_select",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:django",
            "-p",
            "no:schemathesis",
            "-p",
            "no:xdist",
            "-v",
            "tests",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "test_one[1] PASSED" in run.stdout and "test_one[2] PASSED" in run.stdout
    assert "test_added_since" not in run.stdout and "test_b.py" not in run.stdout
    passed, seconds = passed_and_seconds(run.stdout)
    assert passed == 2 and seconds is not None and seconds >= 0
    assert "2 deselected" in run.stdout


def test_a_run_without_a_summary_gives_no_figures():
    assert passed_and_seconds("ERROR: could not create the database\n") == (None, None)
    output = "...\n======= 3322 passed, 5 deselected in 364.44s (0:06:04) =======\n"
    assert passed_and_seconds(output) == (3322, 364.44)
