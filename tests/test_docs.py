"""The docs cannot drift: every config key and command is documented, every relative link resolves."""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from hearth.config import HearthConfig, _CommunityCore
from hearth.registry import BUILTIN_PLUGINS, load_adapters, load_plugins

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = _FENCE.sub("", page.read_text(encoding="utf-8"))
    return {_slug(m.group(1)) for m in re.finditer(r"^#{1,6} (.+)$", text, re.M)}


def _links() -> Iterator[tuple[Path, str]]:
    for page in PAGES:
        text = _FENCE.sub("", page.read_text(encoding="utf-8"))
        for target in _LINK.findall(text):
            if not re.match(r"[a-z]+:", target):
                yield page, target


@pytest.mark.parametrize(("page", "target"), list(_links()), ids=lambda v: str(v))
def test_relative_links_resolve(page: Path, target: str) -> None:
    path, _, anchor = target.partition("#")
    dest = (page.parent / path).resolve() if path else page
    assert dest.exists(), f"{page.relative_to(ROOT)}: link to missing {target}"
    if anchor and dest.suffix == ".md":
        assert anchor in _anchors(dest), f"{page.relative_to(ROOT)}: no heading for #{anchor} in {path}"


def _models(annotation: object) -> Iterator[type[BaseModel]]:
    """The pydantic models inside a field's type (through Optional, lists, dicts, unions)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in typing.get_args(annotation):
        yield from _models(arg)


def _keys(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    """Every key a user can write under ``model``, dotted from ``prefix``."""
    for name, field in model.model_fields.items():
        key = field.alias or name
        yield f"{prefix}{key}"
        for inner in _models(field.annotation):
            if inner is not model:
                yield from _keys(inner, f"{prefix}{key}.")


def _documented(key: str, text: str) -> bool:
    """A key is documented when its last part appears as code, or as a YAML key, in ``text``."""
    leaf = key.rsplit(".", 1)[-1]
    return bool(re.search(rf"`[^`\n]*\b{re.escape(leaf)}\b[^`\n]*`|^\s*{re.escape(leaf)}:", text, re.M))


def _read(*pages: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in pages if p.exists())


_CORE_INTERNAL = {"communities", "key", "bindings", "plugins"}


def test_every_core_config_key_is_documented() -> None:
    text = _read(DOCS / "configuration.md")
    keys = [k for k in _keys(HearthConfig) if not k.startswith("communities")]
    keys += [k for k in _keys(_CommunityCore)]
    missing = [k for k in keys if k not in _CORE_INTERNAL and not _documented(k, text)]
    assert not missing, f"undocumented in docs/configuration.md: {missing}"


@pytest.mark.parametrize("plugin", sorted(BUILTIN_PLUGINS))
def test_every_plugin_config_key_is_documented(plugin: str) -> None:
    schema = load_plugins(use_entry_points=False).schemas[plugin]
    assert schema is not None
    text = _read(DOCS / "plugins" / f"{plugin}.md")
    missing = [k for k in _keys(schema) if not _documented(k, text)]
    assert not missing, f"undocumented in docs/plugins/{plugin}.md: {missing}"


@pytest.mark.parametrize("adapter", ["discord", "matrix"])
def test_every_adapter_config_key_is_documented(adapter: str) -> None:
    cls = load_adapters(use_entry_points=False)[adapter].cls
    text = _read(DOCS / f"{adapter}.md", DOCS / "configuration.md")
    keys = [k for s in (cls.account_schema, cls.binding_schema) if s is not None for k in _keys(s)]
    missing = [k for k in keys if not _documented(k, text)]
    assert not missing, f"undocumented for {adapter}: {missing}"


def test_every_command_is_documented() -> None:
    plugins = load_plugins(use_entry_points=False)
    text = _read(DOCS / "commands.md")
    names = {"help"} | {c.name for cs in plugins.commands.values() for c in cs}
    missing = sorted(n for n in names if f"`{n}" not in text)
    assert not missing, f"undocumented in docs/commands.md: {missing}"


def test_every_hook_and_its_arguments_are_documented() -> None:
    import inspect

    from hearth import hookspecs

    text = _read(DOCS / "writing-plugins.md")
    documented = set(re.findall(r"`(\w+\([\w, ]*\))`", text))
    specs = [f for f in vars(hookspecs).values() if hasattr(f, "hearth_spec")]
    wanted = {f"{f.__name__}({', '.join(inspect.signature(f).parameters)})" for f in specs}
    assert len(wanted) >= 13
    assert wanted - documented == set(), "hooks undocumented (or with other arguments) in writing-plugins.md"
