"""The project's shape: dependency direction, registrations, packaging, documented hooks."""

from __future__ import annotations

import ast
import inspect
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

from hearth import hookspecs
from hearth.registry import BUILTIN_ADAPTERS, BUILTIN_PLUGINS

ROOT = Path(__file__).resolve().parent.parent


def _imports(folder: Path) -> list[tuple[Path, str]]:
    found = []
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.append((path, node.module))
            elif isinstance(node, ast.Import):
                found.extend((path, alias.name) for alias in node.names)
    return found


def test_core_imports_no_adapter_and_no_plugin() -> None:
    bad = [(p.name, m) for p, m in _imports(ROOT / "core")
           if m.startswith(("hearth.adapters", "hearth.plugins", "discord", "nio"))]
    # The CLI and simulator load adapters lazily, by entry point or through the testing harness.
    allowed = {("simulate.py", "hearth.adapters.testing.harness"), ("cli.py", "hearth.adapters.console.repl")}
    bad = [b for b in bad if not b[1].startswith("hearth.plugins")] + [
        (p.name, m) for p, m in _imports(ROOT / "core") if m.startswith("hearth.plugins.")]
    assert set(bad) <= allowed, bad


def test_plugins_import_only_hearths_public_api() -> None:
    bad = [(str(p.relative_to(ROOT)), m) for p, m in _imports(ROOT / "plugins")
           if m.startswith(("hearth.adapters", "discord", "nio"))]
    assert bad == []


def test_builtins_agree_with_entry_points() -> None:
    plugins = {ep.name: ep.value for ep in entry_points(group="hearth.plugins")}
    adapters = {ep.name: ep.value for ep in entry_points(group="hearth.adapters")}
    assert {k: plugins.get(k) for k in BUILTIN_PLUGINS} == BUILTIN_PLUGINS
    assert {k: adapters.get(k) for k in BUILTIN_ADAPTERS} == BUILTIN_ADAPTERS


def test_every_package_folder_is_packaged() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    mapping = {v: k for k, v in config["package-dir"].items()}
    found = set()
    for top, name in mapping.items():
        for init in (ROOT / top).rglob("__init__.py"):
            if "plugins" in init.relative_to(ROOT).parts[:2] and top == "examples":
                continue  # examples/plugins/* are separate distributions
            rel = init.parent.relative_to(ROOT / top)
            found.add(".".join([name, *rel.parts]))
    assert found - listed == set()


def test_every_hook_is_documented() -> None:
    hooks = [f for name, f in inspect.getmembers(hookspecs, inspect.isfunction)
             if hasattr(f, "hearth_spec")]
    assert len(hooks) >= 12
    assert [h.__name__ for h in hooks if len((h.__doc__ or "").strip()) < 40] == []


def test_no_core_module_pretends_to_be_a_package() -> None:
    import importlib
    import pkgutil

    import hearth

    modules = [importlib.import_module(f"hearth.{m.name}") for m in pkgutil.iter_modules(hearth.__path__)
               if not m.ispkg and m.name not in ("cli",)]
    assert len(modules) > 10
    assert [m.__name__ for m in modules if hasattr(m, "__path__")] == []


def test_docstrings_name_files_that_exist() -> None:
    import re

    stale = []
    named = re.compile(r"\b((?:docs|tests|examples|benchmarks)/[\w./-]+\.(?:md|py|yaml))")
    for folder in ("core", "adapters", "plugins"):
        for path in (ROOT / folder).rglob("*.py"):
            for ref in named.findall(path.read_text()):
                if not (ROOT / ref).exists():
                    stale.append((str(path.relative_to(ROOT)), ref))
            for ref in re.findall(r"\((?:the contract is |see )?([A-Z]+\.md)\)", path.read_text()):
                stale.append((str(path.relative_to(ROOT)), ref))  # a bare name: say which docs/ page
    for ref in re.findall(r"\b(tests/[\w/]+\.py)", (ROOT / "pyproject.toml").read_text()):
        if not (ROOT / ref).exists():
            stale.append(("pyproject.toml", ref))
    assert stale == []
