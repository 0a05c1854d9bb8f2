"""What a crosswalk did with every source value: the data behind ``eduhub crosswalk-report``.

A standards expert must see what the hub loses. While a :class:`Trace` is active
(:func:`tracing`), the crosswalk helpers mark each source node they read: *mapped* (the
value reached the model), *kept* (it reached the model as a literal because no vocabulary
mapping exists), or *dropped* with a reason. After the crosswalk, every non-empty leaf of
the payload is looked up: its own mark, else its nearest marked ancestor's, else the
crosswalk's ``dropped`` table (path prefix → reason), else "not read by the crosswalk".
So nothing is dropped silently: an unread element shows up in the report.

Marking costs one context-variable lookup when no trace is active (the harvest path).
Nodes are lxml elements for XML payloads and key paths (tuples) for JSON payloads.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

MAPPED = "mapped"
KEPT = "kept"
DROPPED = "dropped"
UNREAD = "not read by the crosswalk"

_ACTIVE: ContextVar[Trace | None] = ContextVar("crosswalk_trace", default=None)


class Trace:
    """Marks for the nodes of one payload."""

    def __init__(self) -> None:
        # lxml hands out the same proxy for a node while one is referenced, and the dict keeps it.
        self.marks: dict[Hashable, tuple[str, str]] = {}

    def mark(self, node: Hashable, status: str, note: str = "") -> None:
        # A more specific verdict wins: kept or dropped over a plain "read".
        if status == MAPPED and node in self.marks:
            return
        self.marks[node] = (status, note)


def mark(node: Hashable | None, status: str = MAPPED, note: str = "") -> None:
    """Record what happened to ``node`` if a trace is active; a no-op otherwise."""
    if node is None:
        return
    trace = _ACTIVE.get()
    if trace is not None:
        trace.mark(node, status, note)


@contextmanager
def tracing() -> Iterator[Trace]:
    trace = Trace()
    token = _ACTIVE.set(trace)
    try:
        yield trace
    finally:
        _ACTIVE.reset(token)


@dataclass
class Leaf:
    path: str
    value: str
    status: str
    note: str


def _local(tag: str) -> str:
    return tag[tag.rfind("}") + 1 :].lower()


def xml_leaves(root: etree._Element, trace: Trace, dropped: dict[str, str]) -> list[Leaf]:
    """Every element of ``root`` with non-blank text of its own, and what became of it."""
    leaves: list[Leaf] = []

    def visit(element: etree._Element, path: str, inherited: tuple[str, str] | None) -> None:
        own = trace.marks.get(element)
        verdict = own or inherited
        text = (element.text or "").strip()
        if text:
            leaves.append(_leaf(path, text, verdict, dropped))
        for child in element.iterchildren("*"):
            visit(child, f"{path}/{_local(child.tag)}", verdict)

    visit(root, _local(root.tag), None)
    return leaves


def json_leaves(document: Any, trace: Trace, dropped: dict[str, str]) -> list[Leaf]:
    """Every scalar of a JSON document (nulls and empty strings skipped), and what became of it.

    Nodes are key paths: ``("creator", 0, "name")``; the reported path drops list indices
    (``creator/name``).
    """
    leaves: list[Leaf] = []

    def visit(value: Any, key: tuple[Hashable, ...], path: str, inherited: tuple[str, str] | None) -> None:
        verdict = trace.marks.get(key) or inherited
        if isinstance(value, dict):
            for name, item in value.items():
                visit(item, (*key, name), f"{path}/{name}" if path else str(name), verdict)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                visit(item, (*key, index), path, verdict)
        elif value is not None and str(value).strip():
            leaves.append(_leaf(path, str(value).strip(), verdict, dropped))

    visit(document, (), "", None)
    return leaves


def _leaf(path: str, value: str, verdict: tuple[str, str] | None, dropped: dict[str, str]) -> Leaf:
    if verdict is not None:
        return Leaf(path, value, verdict[0], verdict[1])
    for prefix, reason in dropped.items():
        if path == prefix or path.startswith(prefix + "/"):
            return Leaf(path, value, DROPPED, reason)
    return Leaf(path, value, DROPPED, UNREAD)


@dataclass
class PathCoverage:
    """Counts for one source path over many records."""

    path: str
    mapped: int = 0
    kept: int = 0
    dropped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, leaf: Leaf, max_examples: int = 3) -> None:
        setattr(self, leaf.status, getattr(self, leaf.status) + 1)
        if leaf.status != MAPPED and leaf.note:
            self.reasons[leaf.note] = self.reasons.get(leaf.note, 0) + 1
        examples = self.examples.setdefault(leaf.status, [])
        if len(examples) < max_examples and leaf.value[:80] not in examples:
            examples.append(leaf.value[:80])
