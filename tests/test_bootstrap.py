"""The set-up before Django: interpreter and OS checks, the pinned installer, the lock files.

scripts/bootstrap.py runs with the machine's Python; these tests load it from its path.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bootstrap", ROOT / "scripts" / "bootstrap.py")
assert _spec and _spec.loader
bootstrap = importlib.util.module_from_spec(_spec)
sys.modules["bootstrap"] = bootstrap
_spec.loader.exec_module(bootstrap)

LOCKS = ("pip.lock", "base.lock", "dev.lock")


def locked(lock: str) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of a lock file, continuation lines joined."""
    text = (ROOT / "requirements" / lock).read_text(encoding="utf-8").replace("\\\n", " ")
    entries = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement, *options = line.split()
        name, _, version = requirement.partition("==")
        entries[re.sub(r"\[.*\]", "", name).lower()] = (version, [o for o in options if o.startswith("--hash=")])
    return entries


# --- the interpreter ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "specifier", "expected"),
    [
        ((3, 11, 7), ">=3.11,<3.12", True),
        ((3, 11, 0), ">=3.11,<3.12", True),
        ((3, 12, 0), ">=3.11,<3.12", False),
        ((3, 10, 14), ">=3.11,<3.12", False),
        ((3, 11, 7), "==3.11.*", True),
        ((3, 12, 1), "==3.11.*", False),
        ((3, 12, 1), "!=3.11.*", True),
        ((3, 11, 0), ">3.11", False),
        ((3, 11, 1), ">3.11", True),
        ((3, 13, 0), "~=3.11", True),
        ((4, 0, 0), "~=3.11", False),
        ((3, 11, 7), "<=3.11", False),
    ],
)
def test_python_version_against_requires_python(version, specifier, expected):
    assert bootstrap.python_satisfies(version, specifier) is expected


@given(st.tuples(st.integers(3, 3), st.integers(0, 20), st.integers(0, 30)))
def test_only_3_11_satisfies_the_projects_specifier(version):
    assert bootstrap.python_satisfies(version, bootstrap.requires_python()) is (version[1] == 11)


def test_the_projects_specifier_is_read_from_pyproject():
    assert bootstrap.requires_python() == ">=3.11,<3.12"


def test_a_wrong_interpreter_is_refused_with_what_to_do():
    with pytest.raises(bootstrap.SetupError) as refused:
        bootstrap.check_interpreter((3, 12, 1), "/usr/bin/python3", ">=3.11,<3.12")
    message = str(refused.value)
    assert "需要 Python >=3.11,<3.12" in message and "3.12.1" in message
    assert "make run PYTHON=python3.11" in message and "rm -rf .venv" in message


def test_an_unknown_specifier_is_an_error_not_a_pass():
    with pytest.raises(bootstrap.SetupError):
        bootstrap.python_satisfies((3, 11, 7), "===3.11.7")


# --- OS packages -------------------------------------------------------------------------------


def fc_list(stdout: str):
    return lambda *args, **kwargs: subprocess.CompletedProcess(args, 0, stdout=stdout, stderr="")


def test_missing_pango_is_named_with_its_packages():
    # given a machine without Pango but with a CJK font
    missing = bootstrap.missing_os_packages(find_library=lambda name: None, run=fc_list("Noto Sans CJK SC\n"))
    # then Pango is missing, it is required, and the message says how to install it
    assert missing == [bootstrap.PANGO] and bootstrap.PANGO.required
    message = bootstrap.os_packages_message(missing)
    assert "sudo apt-get install --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0" in message
    assert "✗" in message and "PDF" in message


def test_a_missing_cjk_font_is_a_recommendation():
    missing = bootstrap.missing_os_packages(find_library=lambda name: f"lib{name}.so.0", run=fc_list(""))
    assert missing == [bootstrap.CJK_FONT] and not bootstrap.CJK_FONT.required
    assert "fonts-noto-cjk" in bootstrap.os_packages_message(missing)


def test_no_fontconfig_counts_as_no_cjk_font():
    def no_fc_list(*args, **kwargs):
        raise FileNotFoundError("fc-list")

    assert bootstrap.has_cjk_font(run=no_fc_list) is None
    assert bootstrap.CJK_FONT in bootstrap.missing_os_packages(find_library=lambda n: "x", run=no_fc_list)


def test_check_fails_without_pango_and_passes_with_a_warning_only(monkeypatch, capsys):
    monkeypatch.setattr(bootstrap, "has_pango", lambda *args: False)
    assert bootstrap.check() == 1
    assert "libpango-1.0-0" in capsys.readouterr().err
    monkeypatch.setattr(bootstrap, "has_pango", lambda *args: True)
    monkeypatch.setattr(bootstrap, "has_cjk_font", lambda *args: False)
    assert bootstrap.check() == 0
    assert "fonts-noto-cjk" in capsys.readouterr().err


def test_this_machine_has_pango():
    """The suite renders PDFs: the check must find the library that WeasyPrint loads."""
    assert bootstrap.has_pango()


# --- pip failures ------------------------------------------------------------------------------

PIP_OUTPUTS = {
    "hash": "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE.\n    django==5.2.9 from ...",
    "lock": "ERROR: In --require-hashes mode, all requirements must have their versions pinned with ==. "
    "These do not:\n    fonttools[woff]>=4.59.2 from ...",
    "network": "WARNING: Retrying (Retry(total=4)) after connection broken by 'NewConnectionError("
    "'<pip._vendor.urllib3.connection.HTTPSConnection>: Failed to establish a new connection: "
    "[Errno -3] Temporary failure in name resolution')': /simple/django/",
    "missing": "ERROR: Could not find a version that satisfies the requirement django==5.2.9\n"
    "ERROR: No matching distribution found for django==5.2.9",
    "disk": "ERROR: Could not install packages due to an OSError: [Errno 28] No space left on device",
}
ADVICE_MARK = {
    "hash": "哈希不符",
    "lock": "锁文件本身不完整",
    "network": "PIP_INDEX_URL=",
    "missing": "索引里找不到锁定的版本",
    "disk": "磁盘空间不足",
}


@pytest.mark.parametrize("kind", sorted(PIP_OUTPUTS))
def test_each_pip_failure_gets_its_advice(kind):
    advice = bootstrap.advice_for(PIP_OUTPUTS[kind])
    assert advice and ADVICE_MARK[kind] in advice[0]


def test_the_failure_message_names_the_lock_and_the_way_back():
    message = bootstrap.failure_message("requirements/base.lock", 1, PIP_OUTPUTS["hash"], Path(".venv"))
    assert "依赖安装失败" in message and "requirements/base.lock" in message
    assert "哈希不符" in message and "rm -rf .venv && make run" in message


def test_a_lock_that_cannot_be_installed_fails_with_a_message(tmp_path):
    # given this venv (its installer already the pinned one, so nothing is bootstrapped) and a
    # lock naming a package that exists nowhere, with the index switched off
    _, pip = bootstrap.venv_versions(Path(sys.executable))
    if pip != bootstrap.pinned_installer():
        # Only outside `make`: the script would first install the pinned pip into the running
        # test venv. `make test` (and so CI) always pins it first, so there this test runs.
        pytest.skip(f"this venv's pip is {pip}, not the pinned {bootstrap.pinned_installer()} (run via make)")
    lock = tmp_path / "broken.lock"
    lock.write_text("--no-index\nexchange-no-such-package==1.0 \\\n    --hash=sha256:" + "0" * 64 + "\n")
    # when it is installed as make does
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bootstrap.py"), "install", "--venv", sys.prefix, str(lock)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then it fails with what to do, after pip's own output
    assert done.returncode == 1
    assert "exchange-no-such-package" in done.stdout
    assert f"依赖安装失败 / installing {lock} failed" in done.stderr
    assert "索引里找不到锁定的版本" in done.stderr and "rm -rf" in done.stderr


# --- the lock files ----------------------------------------------------------------------------


@pytest.mark.parametrize("lock", LOCKS)
def test_every_locked_requirement_is_pinned_with_hashes(lock):
    entries = locked(lock)
    assert entries
    for name, (version, hashes) in entries.items():
        assert version and hashes, f"{lock}: {name} lacks a == version or a hash"


def test_the_dev_lock_keeps_every_runtime_version():
    """make test installs dev.lock over base.lock: the two must agree on every runtime package."""
    dev = locked("dev.lock")
    for name, (version, _) in locked("base.lock").items():
        assert dev.get(name, (None,))[0] == version, name


def test_the_installer_is_pinned():
    assert set(locked("pip.lock")) == {"pip"}
    assert bootstrap.pinned_installer() == locked("pip.lock")["pip"][0]
