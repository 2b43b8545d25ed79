"""Text catalogs: every operator's template is checked against what it is rendered with."""

from __future__ import annotations

import importlib
import string

import pytest

from hearth import Texts

DEFAULTS = {
    "en": {"hello": "Hello {mention}!", "bye": "Bye."},
    "zh": {"hello": "你好 {mention}!", "bye": "再见。"},
}
TEXTS = Texts(DEFAULTS, extra={"bye": ["name"]})


def test_placeholders_are_those_of_the_defaults_plus_declared_extras() -> None:
    assert TEXTS.allowed("hello") == {"mention"}
    assert TEXTS.allowed("bye") == {"name"}
    assert TEXTS.check("bye", "See you, {name}! {{not a placeholder}}") is not None


@pytest.mark.parametrize(("template", "problem"), [
    ("Hi {name}", "unknown placeholder {name} (this text may use: {mention})"),
    ("Hi {mentoin}", "did you mean {mention}?"),
    ("Hi {mention: please}", "{mention: please} is not a placeholder"),
    ("Hi {mention!r}", "{mention!r} is not a placeholder"),
    ("Hi {mention[0]}", "{mention[0]} is not a placeholder"),
    ("Hi {0}", "{0} is not a placeholder"),
    ("Hi {mention", "expected '}' before end of string"),
    ("Hi } there", "Single '}' encountered"),
])
def test_bad_templates_are_refused(template: str, problem: str) -> None:
    with pytest.raises(ValueError) as err:
        TEXTS.check("hello", template)
    assert problem in str(err.value)


def test_extra_placeholders_must_name_known_texts() -> None:
    with pytest.raises(ValueError, match="unknown texts"):
        Texts(DEFAULTS, extra={"nope": ["x"]})


@pytest.mark.parametrize("plugin", ["ad_window", "flash", "welcome"])
def test_each_builtin_catalog_accepts_its_own_defaults(plugin: str) -> None:
    module = importlib.import_module(f"hearth.plugins.{plugin}.texts")
    catalog: Texts = module.TEXTS
    for language, texts in module.DEFAULTS.items():
        for key, template in texts.items():
            assert catalog.check(key, template) == template, (language, key)
            names = {n for _, n, _, _ in string.Formatter().parse(template) if n}
            assert names <= catalog.allowed(key)


def test_every_plugins_texts_field_goes_through_a_catalog() -> None:
    """A plugin whose `texts:` is a bare dict would let bad templates through `hearth check`."""
    from pydantic import BaseModel

    from hearth.registry import load_plugins

    def texts_fields(model: type[BaseModel], path: str) -> list[tuple[str, list[object]]]:
        found = []
        for name, info in model.model_fields.items():
            if name == "texts":
                found.append((f"{path}.{name}", list(info.metadata)))
            if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
                found.extend(texts_fields(info.annotation, f"{path}.{name}"))
        return found

    plugins = load_plugins()
    fields = [f for name, schema in plugins.schemas.items() if schema is not None
              for f in texts_fields(schema, name)]
    assert fields, "no plugin has a texts field"
    for path, metadata in fields:
        assert any(isinstance(m, Texts) for m in metadata), f"{path} is not checked by a Texts catalog"
