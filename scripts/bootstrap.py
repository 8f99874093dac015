"""Set-up before Django exists: check the machine, then build .venv from the lock files.

    python3 scripts/bootstrap.py check                                  # interpreter and OS packages
    python3 scripts/bootstrap.py install [--venv .venv] LOCK [LOCK ...]   # venv + pinned pip + locks

`make` runs both; nothing else installs Python packages. Standard library only: this runs with
the machine's own Python, before any dependency is installed.

`install` creates the venv when it has no interpreter, puts the pinned installer from
requirements/pip.lock into it unless that version is already there, then installs each lock
with `--require-hashes`. The installer is pinned because the pip a venv is born with is whatever
the machine's Python shipped (23.2.1 with Python 3.11.7), and such a pip can fail on a lock that
has not changed once something newer is released upstream (it mis-resolves a dependency named
with extras, such as weasyprint's `fonttools[woff]`, in hash-checking mode).

Every failure ends with what to do, in Chinese and then English, instead of a bare traceback.
"""

from __future__ import annotations

import argparse
import ctypes.util
import re
import shutil
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
INSTALLER_LOCK = ROOT / "requirements" / "pip.lock"
PIP_OUTPUT_KEPT = 400  # lines of pip's output kept to recognise the failure


class SetupError(Exception):
    """A failure the user can fix: the message says how."""


# --- the interpreter ---------------------------------------------------------------------------


def requires_python(pyproject: Path = PYPROJECT) -> str:
    """The `requires-python` specifier of pyproject.toml, e.g. '>=3.11,<3.12'."""
    match = re.search(r'^requires-python\s*=\s*"([^"]+)"', pyproject.read_text(encoding="utf-8"), re.MULTILINE)
    if not match:
        raise SetupError(f"{pyproject} has no requires-python")
    return match.group(1)


def _release(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".") if part.isdigit())


def python_satisfies(version: Sequence[int], specifier: str) -> bool:
    """Whether a version (major, minor, micro) satisfies a specifier made of >=, >, <=, <, == and !=
    clauses (== and != with an optional trailing .*), the forms requires-python uses."""
    have = (*tuple(version[:3]), 0, 0, 0)[:3]
    for clause in (c.strip() for c in specifier.split(",") if c.strip()):
        match = re.fullmatch(r"(>=|<=|==|!=|~=|>|<)?\s*([0-9.]+)(\.\*)?", clause)
        if not match:
            raise SetupError(f"requires-python clause not understood: {clause!r}")
        op, number, star = match.group(1) or "==", match.group(2), match.group(3)
        want = _release(number)
        if star:  # ==3.11.* / !=3.11.*: compare the leading parts only
            ok = (have[: len(want)] == want) == (op == "==")
        else:
            full = (*want, 0, 0, 0)[:3]
            ok = {
                ">=": have >= full,
                ">": have > full,
                "<=": have <= full,
                "<": have < full,
                "==": have == full,
                "!=": have != full,
                "~=": have >= full and have[: len(want) - 1] == want[:-1],
            }[op]
        if not ok:
            return False
    return True


def check_interpreter(version: Sequence[int], executable: str, specifier: str) -> None:
    """Refuse an interpreter the lock files were not made for (their wheels are for one Python)."""
    if python_satisfies(version, specifier):
        return
    have = ".".join(str(v) for v in version[:3])
    raise SetupError(
        f"需要 Python {specifier}（锁文件按此版本生成），当前解释器是 {have}（{executable}）。\n"
        "  Debian 12 自带的 python3 即为 3.11；其他系统请安装 Python 3.11，然后：\n"
        "    make run PYTHON=python3.11        （make test 同理）\n"
        "  若 .venv 是用别的 Python 建的，先删除它：rm -rf .venv\n"
        f"This project needs Python {specifier} (the lock files are made for it); {executable} is {have}.\n"
        "  Install Python 3.11 and run `make run PYTHON=python3.11` (Debian 12's python3 is 3.11)."
    )


# --- OS packages -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OsNeed:
    """A shared library (or font) the platform needs from the OS package manager."""

    what: str  # what it is for, in Chinese and English
    debian: tuple[str, ...]  # Debian/Ubuntu package names
    other: str  # the names elsewhere
    required: bool  # False: the platform runs, with the shortcoming in `what`


PANGO = OsNeed(
    "Pango，生成 PDF（结算单、对账单、交易凭证）所需 / Pango, needed to render PDFs (statements, certificates)",
    ("libpango-1.0-0", "libpangoft2-1.0-0"),
    "Fedora/RHEL: dnf install pango · macOS: brew install pango",
    required=True,
)
CJK_FONT = OsNeed(
    "中文字体：缺少时 PDF 与截图里的中文显示为方框 / a CJK font: without one, Chinese text in PDFs renders as boxes",
    ("fonts-noto-cjk",),
    "Fedora/RHEL: dnf install google-noto-sans-cjk-fonts · macOS: has CJK fonts",
    required=False,
)


def has_pango(find_library: Callable[[str], str | None] = ctypes.util.find_library) -> bool:
    return all(find_library(name) for name in ("pango-1.0", "pangoft2-1.0"))


def has_cjk_font(run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run) -> bool | None:
    """True or False from fontconfig's list of fonts covering Chinese; None when fc-list is missing."""
    try:
        listed = run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return bool(listed.stdout.strip())


def missing_os_packages(
    find_library: Callable[[str], str | None] = ctypes.util.find_library,
    run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
) -> list[OsNeed]:
    missing = []
    if not has_pango(find_library):
        missing.append(PANGO)
    if not has_cjk_font(run):
        missing.append(CJK_FONT)
    return missing


def os_packages_message(missing: Sequence[OsNeed]) -> str:
    lines = []
    for need in missing:
        mark = "✗ 缺少 / missing" if need.required else "! 建议安装 / recommended"
        lines.append(f"{mark}: {' '.join(need.debian)} — {need.what}")
        lines.append(f"    {need.other}")
    packages = " ".join(p for need in missing for p in need.debian)
    lines.append(f"  Debian/Ubuntu: sudo apt-get install --no-install-recommends {packages}")
    return "\n".join(lines)


def check() -> int:
    """`bootstrap.py check`: 0 when the platform can run here (warnings allowed), 1 otherwise."""
    try:
        check_interpreter(tuple(sys.version_info[:3]), sys.executable, requires_python())
    except SetupError as error:
        print(f"✗ {error}", file=sys.stderr)
        return 1
    missing = missing_os_packages()
    if missing:
        print(os_packages_message(missing), file=sys.stderr)
    if any(need.required for need in missing):
        print("  装好后重新运行同一条命令 / then run the same command again.", file=sys.stderr)
        return 1
    return 0


# --- installing the lock files -----------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """A kind of pip failure, recognised in its output, and what to do about it."""

    patterns: tuple[str, ...]
    advice: str


FAILURES = (
    Failure(
        ("THESE PACKAGES DO NOT MATCH THE HASHES",),
        "下载的文件与锁文件里的哈希不符：镜像或代理提供了不同（或被截断）的文件。换用与 PyPI 同步的镜像"
        "（PIP_INDEX_URL），或清空缓存后重试：.venv/bin/python -m pip cache purge\n"
        "  A download does not match the lock's hash: a mirror or proxy served another (or a truncated) file. "
        "Use a mirror that mirrors PyPI exactly (PIP_INDEX_URL), or purge pip's cache and retry.",
    ),
    Failure(
        (
            "must have their versions pinned with ==",
            "Hashes are required in --require-hashes mode",
            "ResolutionImpossible",
            "conflicting dependencies",
        ),
        "锁文件本身不完整或不一致（缺少版本、哈希或依赖）。这是仓库的问题：按 docs/development.md"
        "「Dependencies and lock files」重新生成锁文件并提交。\n"
        "  The lock file itself is incomplete or inconsistent (a version, hash or dependency is missing). "
        "Regenerate it as docs/development.md, 'Dependencies and lock files', says, and commit it.",
    ),
    Failure(
        (
            "NewConnectionError",
            "Failed to establish a new connection",
            "Temporary failure in name resolution",
            "Name or service not known",
            "Read timed out",
            "ConnectTimeoutError",
            "ProxyError",
            "SSLError",
            "Could not fetch URL",
            "Connection reset",
        ),
        "连不上软件包索引（PyPI）。检查网络与代理（HTTPS_PROXY）；在国内可用镜像，例如：\n"
        "    PIP_INDEX_URL=https://mirrors.aliyun.com/pypi/simple/ make run\n"
        "  The package index (PyPI) cannot be reached: check the network and proxy (HTTPS_PROXY), "
        "or point PIP_INDEX_URL at a mirror.",
    ),
    Failure(
        ("No matching distribution found", "Could not find a version that satisfies"),
        "索引里找不到锁定的版本：可能是镜像不完整、网络中断，或当前平台没有对应的 wheel（只安装预编译的 wheel，"
        "不在本机编译；锁文件面向 Linux/macOS 上的 Python 3.11）。\n"
        "  The index has no file for a locked version: an incomplete mirror, a dropped connection, or no wheel "
        "for this platform (only prebuilt wheels are installed; the locks are for Python 3.11 on Linux/macOS).",
    ),
    Failure(
        ("No space left on device",),
        "磁盘空间不足：清理后重试（df -h .）。\n  The disk is full: free some space and retry.",
    ),
)


def advice_for(output: str) -> list[str]:
    """What to do about a failed `pip install`, from what pip printed (most specific first)."""
    return [failure.advice for failure in FAILURES if any(p in output for p in failure.patterns)]


def failure_message(lock: str, status: int, output: str, venv: Path) -> str:
    lines = [f"✗ 依赖安装失败 / installing {lock} failed (pip exit status {status}; pip's output is above)."]
    for advice in advice_for(output):
        lines.append(f"  • {advice}")
    lines.append(
        f"  • 如果环境只装了一半，删除后重来（数据在 var/，不受影响）：rm -rf {venv} && make run\n"
        f"    A half-built environment can be removed and rebuilt (your data in var/ is kept): "
        f"rm -rf {venv} && make run"
    )
    return "\n".join(lines)


def run_pip(python: Path, args: Sequence[str]) -> tuple[int, str]:
    """Run `python -m pip ARGS`, passing its output through and keeping its tail."""
    command = [str(python), "-m", "pip", *args]
    kept: deque[str] = deque(maxlen=PIP_OUTPUT_KEPT)
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as pip:
        assert pip.stdout is not None
        for line in pip.stdout:
            sys.stdout.write(line)
            kept.append(line)
    return pip.returncode, "".join(kept)


def pinned_installer(lock: Path = INSTALLER_LOCK) -> str:
    """The pip version requirements/pip.lock pins, e.g. '26.3'."""
    match = re.search(r"^pip==(\S+)", lock.read_text(encoding="utf-8"), re.MULTILINE)
    if not match:
        raise SetupError(f"{lock} pins no pip==VERSION")
    return match.group(1)


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def venv_versions(python: Path) -> tuple[tuple[int, ...], str | None]:
    """The venv interpreter's version and its pip's version (None: no pip)."""
    probe = (
        "import sys, importlib.metadata as m\n"
        "try: pip = m.version('pip')\n"
        "except m.PackageNotFoundError: pip = ''\n"
        "print('.'.join(map(str, sys.version_info[:3])), pip)"
    )
    out = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    return _release(out[0]), (out[1] if len(out) > 1 else None)


def create_venv(venv: Path) -> None:
    print(f"== creating {venv} with {sys.executable}", flush=True)
    made = subprocess.run([sys.executable, "-m", "venv", str(venv)], check=False)
    if made.returncode != 0 or not venv_python(venv).exists():
        shutil.rmtree(venv, ignore_errors=True)  # a half-made venv would look finished to make
        raise SetupError(
            "无法创建虚拟环境（python -m venv 失败，见上方输出）。Debian/Ubuntu 需要："
            "sudo apt-get install python3-venv\n"
            "  `python -m venv` failed (its output is above); on Debian/Ubuntu install python3-venv."
        )


def install(venv: Path, locks: Sequence[str]) -> None:
    """Create the venv if needed, pin its installer, install the locks (hashes checked)."""
    specifier = requires_python()
    check_interpreter(tuple(sys.version_info[:3]), sys.executable, specifier)
    python = venv_python(venv)
    if not python.exists():
        create_venv(venv)
    version, pip = venv_versions(python)
    check_interpreter(version, str(python), specifier)
    wanted = pinned_installer()
    # Wheels only: building from a source archive would fetch build tools (setuptools …) that no
    # lock pins, so what gets installed could again change with upstream releases.
    quiet = ["--disable-pip-version-check", "--require-hashes", "--only-binary", ":all:", "--quiet"]
    if pip != wanted:
        print(f"== installer: pip {pip or '(none)'} → {wanted} (requirements/pip.lock)", flush=True)
        if pip is None:
            subprocess.run([str(python), "-m", "ensurepip", "--default-pip"], check=True)
        status, output = run_pip(python, ["install", *quiet, "-r", str(INSTALLER_LOCK)])
        if status != 0:
            raise SetupError(failure_message("requirements/pip.lock", status, output, venv))
    for lock in locks:
        print(f"== installing {lock} (hashes checked)", flush=True)
        status, output = run_pip(python, ["install", *quiet, "-r", lock])
        if status != 0:
            raise SetupError(failure_message(lock, status, output, venv))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="check the interpreter and the OS packages")
    installing = commands.add_parser("install", help="create the venv and install lock files into it")
    installing.add_argument("--venv", type=Path, default=ROOT / ".venv")
    installing.add_argument("locks", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "check":
        return check()
    try:
        install(args.venv, args.locks)
    except SetupError as error:
        print(str(error), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
