"""Reading a YAML file someone else wrote, within bounds.

Config and scenario files go through :func:`read_yaml`: a file that is not
regular (a FIFO, ``/dev/zero``), too large, not UTF-8 text, nested too deeply,
or whose aliases expand to too many values ("billion laughs") is refused with
the line of the problem, quickly and without exhausting memory. The document
is parsed once: libyaml's event parser feeds an iterative composer that counts
as it goes, and the nodes (with their lines) are kept for error messages.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    MappingEndEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

MAX_BYTES = 2 * 1024 * 1024
"""The largest YAML file read (a config with long word lists is far below it)."""
MAX_DEPTH = 64
"""The deepest nesting of mappings and lists."""
MAX_NODES = 1_000_000
"""The most values a document may hold once its aliases are expanded."""
MAX_ALIAS_VALUES = 10_000
"""The most values all aliases together may repeat."""

try:
    from yaml import CSafeLoader as _EventLoader
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import SafeLoader as _EventLoader  # type: ignore[assignment]


@dataclass
class YamlProblem(Exception):
    """A file cannot be read as YAML; ``line`` is 1-based, or None for the whole file."""

    line: int | None
    problem: str

    def __str__(self) -> str:
        return self.problem


def read_text(path: Path) -> str:
    """The UTF-8 text of the regular file ``path``, at most :data:`MAX_BYTES`."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block
    except OSError as exc:
        raise YamlProblem(None, f"cannot read file: {exc.strerror}") from exc
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise YamlProblem(None, "not a regular file")
        data = fh.read(MAX_BYTES + 1)
    return decode(data)


def decode(data: bytes) -> str:
    """``data`` as UTF-8 text; a size, encoding or binary problem raises :class:`YamlProblem`."""
    if len(data) > MAX_BYTES:
        raise YamlProblem(None, f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlProblem(
            line, f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        ) from exc
    nul = text.find("\x00")
    if nul >= 0:
        raise YamlProblem(text.count("\n", 0, nul) + 1, "binary data (a NUL byte), not YAML text")
    return text


def parse(text: str) -> tuple[Node | None, Any]:
    """The root node (with line marks) and the data of one YAML document.

    Raises :class:`YamlProblem` naming the line for invalid YAML and for
    documents over the bounds above.
    """
    if len(text) > MAX_BYTES:
        raise YamlProblem(None, f"document is larger than {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        node = _Composer(yaml.parse(text, Loader=_EventLoader)).compose()
        if node is None:
            return None, None
        return node, SafeConstructor().construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or str(exc)
        raise YamlProblem(mark.line + 1 if mark else None, f"invalid YAML: {problem}") from exc
    except yaml.YAMLError as exc:  # a reader error: a character YAML does not allow
        position = getattr(exc, "position", None)
        line = text.count("\n", 0, position) + 1 if isinstance(position, int) else None
        reason = getattr(exc, "reason", None) or str(exc)
        raise YamlProblem(line, f"invalid YAML: {reason}") from exc


class _Frame:
    __slots__ = ("anchor", "count", "items", "node")

    def __init__(self, node: SequenceNode | MappingNode, anchor: str | None) -> None:
        self.node = node
        self.anchor = anchor
        self.items: list[Node] = []
        self.count = 1


class _Composer:
    """Events to nodes without recursion, bounding depth and alias expansion."""

    def __init__(self, events: Any) -> None:
        self.events = events
        self.resolver = Resolver()
        self.anchors: dict[str, Node] = {}
        self.sizes: dict[str, int] = {}  # anchor -> values under it, aliases expanded
        self.repeated = 0

    def compose(self) -> Node | None:
        root: Node | None = None
        documents = 0
        stack: list[_Frame] = []
        for event in self.events:
            start: Any = event.start_mark
            end: Any = event.end_mark
            if isinstance(event, DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise YamlProblem(start.line + 1,
                                      "expected one YAML document, found another (---)")
                self.anchors.clear()
                continue
            if isinstance(event, StreamEndEvent):
                break
            line = start.line + 1
            node: Node | None = None
            size = 1
            if isinstance(event, AliasEvent):
                anchor = event.anchor or ""
                node = self.anchors.get(anchor)
                if node is None:
                    raise YamlProblem(line, f"invalid YAML: found undefined alias {anchor!r}")
                if anchor not in self.sizes:
                    raise YamlProblem(line, f"alias *{anchor} refers to the value containing it")
                size = self.sizes[anchor]
                self.repeated += size
                if self.repeated > MAX_ALIAS_VALUES:
                    raise YamlProblem(line, f"aliases repeat more than {MAX_ALIAS_VALUES:,} values "
                                            "(an alias bomb?)")
            elif isinstance(event, ScalarEvent):
                tag = event.tag
                if tag is None or tag == "!":
                    tag = self.resolver.resolve(ScalarNode, event.value, event.implicit)
                node = ScalarNode(tag, event.value, start, end, style=event.style)
                self._anchor(event.anchor, node, 1)
            elif isinstance(event, CollectionStartEvent):
                if len(stack) >= MAX_DEPTH:
                    raise YamlProblem(line, f"nested more than {MAX_DEPTH} levels deep")
                kind: Any = SequenceNode if isinstance(event, SequenceStartEvent) else MappingNode
                tag = event.tag
                if tag is None or tag == "!":
                    tag = self.resolver.resolve(kind, None, event.implicit)
                collection = kind(tag, [], start, None, flow_style=event.flow_style)
                if event.anchor is not None:
                    self.anchors[event.anchor] = collection  # sized at its end
                stack.append(_Frame(collection, event.anchor))
                continue
            elif isinstance(event, SequenceEndEvent | MappingEndEvent):
                frame = stack.pop()
                collection = frame.node
                collection.end_mark = end
                if isinstance(collection, MappingNode):
                    it = iter(frame.items)
                    collection.value = list(zip(it, it, strict=True))
                else:
                    collection.value = frame.items
                node, size = collection, frame.count
                if frame.anchor is not None:
                    self.sizes[frame.anchor] = size
            else:
                continue
            if stack:
                top = stack[-1]
                top.items.append(node)
                top.count += size
                if top.count > MAX_NODES:
                    raise YamlProblem(line, f"more than {MAX_NODES:,} values")
            else:
                root = node
        return root

    def _anchor(self, anchor: str | None, node: Node, size: int) -> None:
        if anchor is not None:
            self.anchors[anchor] = node
            self.sizes[anchor] = size
