"""The architecture's rules that import-linter cannot state (docs/architecture.md, "Shape"):
apps meet through each other's services and selectors, modules stay small, imports sit at the
top of a module. An AST scan of src/exchange (migrations excepted)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "exchange"
MAX_LINES = 600
# Models any app may import: the user (every app's foreign keys point at accounts.User) and
# core's reference data (regions, holidays).
SHARED_MODELS = {"exchange.accounts.models", "exchange.core.models"}


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts)


def _app(path: Path) -> str | None:
    """The app a module belongs to (a package with an apps.py); None for the project's own
    modules (settings, the API assembly, the server)."""
    parts = path.relative_to(SRC).parts
    return parts[0] if len(parts) > 1 and (SRC / parts[0] / "apps.py").exists() else None


def _imports(path: Path) -> list[tuple[ast.ImportFrom, bool, bool]]:
    """(import, inside a function, under `if TYPE_CHECKING`) of every `from exchange… import`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []

    def walk(node: ast.AST, in_function: bool, type_checking: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ImportFrom) and (child.module or "").startswith("exchange."):
                out.append((child, in_function, type_checking))
            walk(
                child,
                in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef),
                type_checking or (isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test)),
            )

    walk(tree, False, False)
    return out


def _name(path: Path) -> str:
    return str(path.relative_to(SRC.parent))


def test_no_app_reads_another_apps_models():
    found = []
    for path in _modules():
        app = _app(path)
        if app is None:
            continue
        for node, _in_function, type_checking in _imports(path):
            module = node.module or ""
            target = module.split(".")[1] if module.count(".") >= 1 else ""
            if module.endswith(".models") and target != app and module not in SHARED_MODELS and not type_checking:
                found.append(f"{_name(path)}:{node.lineno} imports {module}")
    assert not found, "use that app's selectors or services:\n" + "\n".join(found)


def test_no_module_is_over_600_lines():
    long = [
        f"{_name(p)}: {n}" for p in _modules() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    ]
    assert not long, "split by concern:\n" + "\n".join(long)


def test_apps_import_each_other_at_module_top():
    # apps.py imports in ready() (models load after apps.py); deals.models asks settlement's
    # selectors for the fee methods, which import their own models: a cycle at load time
    allowed = {"apps.py"}
    cycle_breakers = {"exchange/deals/models.py"}
    found = []
    for path in _modules():
        app = _app(path)
        if app is None or path.name in allowed or _name(path) in cycle_breakers:
            continue
        for node, in_function, _tc in _imports(path):
            target = (node.module or "").split(".")[1]
            if in_function and target != app:
                found.append(f"{_name(path)}:{node.lineno} imports {node.module} inside a function")
    assert not found, "\n".join(found)


def test_every_money_column_is_a_money_field():
    from django.apps import apps
    from django.db import models

    from exchange.core.fields import MoneyField

    plain = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        if model.__module__.startswith("exchange.")
        for field in model._meta.get_fields()
        if isinstance(field, models.DecimalField)
        and not isinstance(field, MoneyField)
        and (field.max_digits, field.decimal_places) == (18, 2)
    ]
    assert not plain, "declare money with core.fields.MoneyField:\n" + "\n".join(plain)
