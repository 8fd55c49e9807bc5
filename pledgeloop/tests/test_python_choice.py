"""Which Python .venv is made with (scripts/find-python.sh, scripts/build-python.sh and the
Makefile's venv-python step): the optimised build once a machine has it, the interpreter a
person names before either, and .venv made again when the choice changes."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def run(command: list[str], **env: str) -> subprocess.CompletedProcess:
    """`command` in the project's folder, with `env` and none of the choices this run was
    made with (make test with PLEDGELOOP_PYTHON set, say)."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if name not in {"PLEDGELOOP_PYTHON", "PLEDGELOOP_PYTHON_HOME"}
    }
    return subprocess.run(
        command, cwd=ROOT, env={**inherited, **env}, capture_output=True, text=True, check=False
    )


def built_python(home: Path) -> Path:
    """A stand-in for the optimised build in `home`: this test's own interpreter, where the
    build would put its python."""
    python = home / "bin" / "python3.13"
    python.parent.mkdir(parents=True)
    python.symlink_to(sys.executable)
    return python


def python_on_path(tmp_path: Path) -> str:
    """PATH with this test's interpreter first, as python3: a machine with a Python 3.12 or
    newer to find (without one, find-python.sh would build one, for minutes)."""
    bin_dir = tmp_path / "on-path"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    return f"{bin_dir}:{os.environ['PATH']}"


def test_the_optimised_build_is_chosen_once_the_machine_has_it(tmp_path):
    home = tmp_path / "python"
    path = python_on_path(tmp_path)
    found = run(["scripts/find-python.sh"], PLEDGELOOP_PYTHON_HOME=str(home), PATH=path)
    assert found.returncode == 0
    assert found.stdout.strip() == str(tmp_path / "on-path" / "python3")

    python = built_python(home)
    found = run(["scripts/find-python.sh"], PLEDGELOOP_PYTHON_HOME=str(home), PATH=path)
    assert found.stdout.strip() == str(python)


def test_asking_whether_it_is_built_never_builds(tmp_path):
    home = tmp_path / "python"
    asked = run(["scripts/build-python.sh", "--installed"], PLEDGELOOP_PYTHON_HOME=str(home))
    assert asked.returncode == 1
    assert asked.stdout == ""
    assert not tmp_path.joinpath("python.lock").exists()
    assert list(tmp_path.iterdir()) == []


def test_a_named_interpreter_comes_first_and_a_wrong_one_is_refused(tmp_path):
    built_python(tmp_path / "python")
    chosen = run(
        ["scripts/find-python.sh"],
        PLEDGELOOP_PYTHON=sys.executable,
        PLEDGELOOP_PYTHON_HOME=str(tmp_path / "python"),
    )
    assert chosen.stdout.strip() == sys.executable

    wrong = run(["scripts/find-python.sh"], PLEDGELOOP_PYTHON="/bin/false")
    assert wrong.returncode == 1
    assert "PLEDGELOOP_PYTHON=/bin/false is not a Python 3.12 or newer" in wrong.stderr


def test_venv_is_made_again_when_the_chosen_python_changes(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)

    def check(made_with: str) -> subprocess.CompletedProcess:
        (venv / ".python").write_text(made_with + "\n")
        return run(
            ["make", "--no-print-directory", "venv-python", f"VENV={venv}"],
            PLEDGELOOP_PYTHON=sys.executable,
        )

    kept = check(sys.executable)
    assert kept.returncode == 0, kept.stderr
    assert venv.exists()

    remade = check("/usr/bin/python3.12")
    assert remade.returncode == 0, remade.stderr
    assert f"Making {venv} again, with {sys.executable}" in remade.stdout
    assert not venv.exists()


def lone_scripts(tmp_path: Path, build: str) -> tuple[Path, dict]:
    """scripts/find-python.sh copied beside a build-python.sh that runs `build`, and an
    environment whose PATH offers only a python3 older than 3.12 (Debian 12's 3.11) and the
    tools the script calls, with an empty pyenv: a machine with no Python to choose."""
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "find-python.sh").write_bytes((ROOT / "scripts" / "find-python.sh").read_bytes())
    (scripts / "build-python.sh").write_text("#!/bin/sh\n" + build)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").write_text("#!/bin/sh\nexit 1\n")  # says no to >= 3.12
    for path in [*scripts.iterdir(), bin_dir / "python3"]:
        path.chmod(0o755)
    for tool in ["sh", "dirname", "ls", "sort"]:
        (bin_dir / tool).symlink_to(shutil.which(tool))
    return scripts, {"PATH": str(bin_dir), "PYENV_ROOT": str(tmp_path / "no-pyenv")}


def test_a_machine_without_python_312_builds_one_instead_of_stopping(tmp_path):
    """Debian 12 has Python 3.11 and no python3.12 package: make run builds the optimised
    Python (as make test does) rather than stop there."""
    python = built_python(tmp_path / "python")
    scripts, env = lone_scripts(
        tmp_path,
        f'[ "$1" = --installed ] && exit 1\necho "Building…" >&2\necho {python}\n',
    )
    found = run(["sh", str(scripts / "find-python.sh")], **env)
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == str(python)
    assert "No Python 3.12 or newer on PATH" in found.stderr and "Building…" in found.stderr


def test_where_no_python_can_be_built_it_says_what_to_install(tmp_path):
    scripts, env = lone_scripts(tmp_path, 'echo "Building Python failed: no cc" >&2\nexit 1\n')
    found = run(["sh", str(scripts / "find-python.sh")], **env)
    assert found.returncode == 1 and found.stdout == ""
    assert "Building Python failed: no cc" in found.stderr
    assert "nor could one be built. Install one" in found.stderr
