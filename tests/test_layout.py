"""The layout's rules, read from the source with ``ast`` (nothing is imported to check them).

- No import cycle between modules of different apps, and none inside an app either.
  Every import counts: at module level, inside functions and under TYPE_CHECKING.
- The core reaches the Discord integration only through its models (and the ports the
  integration registers when Django starts); only the project's entrances (``guildmind``:
  the ASGI app) and management commands import its code.
- Only the Discord integration imports discord.py (devtools, benchmarks and tests may).

An app is a Django app (``integrations.discordbot`` is one); a module outside every app
belongs to its top-level package (``pipeline``, ``guildmind``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
# Not product code: tests, tools, measurements, and what is not Python source of ours.
OUTSIDE = {"tests", "devtools", "benchmarks", "docs", "scripts", "static", "templates", "var"}
DISCORD_APP = "integrations.discordbot"


def product_modules(root: Path = ROOT) -> dict[str, Path]:
    """Module name → file of every product module (migrations left out: they are history)."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[0] in OUTSIDE or parts[0].startswith(".") or "migrations" in parts:
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def imports_of(name: str, path: Path, modules: Iterable[str]) -> set[str]:
    """The product modules ``name`` imports, wherever the import statement is."""
    known = set(modules)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            # ``from package import module`` imports the module; ``from module import name``
            # imports the module that defines the name.
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    modules = product_modules(root)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.get(module, ())):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(found)


def app_of(module: str) -> str:
    """The Django app the module belongs to, else its top-level package."""
    names = [config.name for config in apps.get_app_configs()]
    owners = [name for name in names if module == name or module.startswith(f"{name}.")]
    return max(owners, key=len) if owners else module.split(".")[0]


def _describe(component: list[str], graph: dict[str, set[str]]) -> str:
    members = set(component)
    edges = [f"{a} → {b}" for a in component for b in sorted(graph[a] & members)]
    return "; ".join(edges)


def test_the_check_finds_a_cycle_through_a_function_level_import(tmp_path: Path) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    (tmp_path / "shop" / "orders.py").write_text("from shop.mail import send\n")
    (tmp_path / "shop" / "mail.py").write_text("def send():\n    from shop import orders\n")
    (tmp_path / "shop" / "prices.py").write_text("import shop.orders\n")

    assert cycles(import_graph(tmp_path)) == [["shop.mail", "shop.orders"]]


def test_no_import_cycle_runs_between_apps() -> None:
    graph = import_graph()
    crossing = [c for c in cycles(graph) if len({app_of(m) for m in c}) > 1]

    assert crossing == [], "\n".join(_describe(c, graph) for c in crossing)


def test_no_module_imports_itself_through_others() -> None:
    graph = import_graph()
    found = cycles(graph)

    assert found == [], "\n".join(_describe(c, graph) for c in found)


def test_the_core_imports_only_the_discord_apps_models() -> None:
    def may_import_discord_code(module: str) -> bool:
        return app_of(module) in {DISCORD_APP, "guildmind"} or ".management.commands." in module

    reaching = sorted(
        f"{module} → {imported}"
        for module, imported_modules in import_graph().items()
        if not may_import_discord_code(module)
        for imported in imported_modules
        if app_of(imported) == DISCORD_APP and imported != f"{DISCORD_APP}.models"
    )

    assert reaching == []


def test_only_the_discord_integration_imports_discord_py() -> None:
    importing = []
    for module, path in product_modules().items():
        if app_of(module) == DISCORD_APP:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            if any(name == "discord" or name.startswith("discord.") for name in names):
                importing.append(module)

    assert importing == []


# A module past this many lines is to be split by domain (STYLE.md: no god modules).
MODULE_LINES = 500


def test_no_product_module_is_a_god_module() -> None:
    long = {
        name: lines
        for name, path in product_modules().items()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MODULE_LINES
    }
    assert not long, f"split these by domain: {long}"
