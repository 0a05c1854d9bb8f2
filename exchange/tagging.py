"""Quality, accessibility and sustainability assessments from rules that are data (docs/tagging.md).

A rule is a SPARQL SELECT in ``rules/*.rq`` with a short header; it returns ``?record``
and ``?result`` (a tag concept) and optionally ``?score`` and ``?evidence``. This module
wraps each rule into one SPARQL UPDATE that writes the assessment nodes into the source's
assessments graph, so tagging is one pass per rule over the store (``eduhub retag``) or,
restricted to a page's records, part of the page's own update (tags never lag behind).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from exchange.resources import data_dir

RULES = "https://w3id.org/eduhub/rules/"
TAGS = "https://w3id.org/eduhub/vocab/tags/"
HUB = "https://w3id.org/eduhub/ns#"
SCOPES = ("record", "source")
_HEADER = re.compile(r"^#\s*([a-z]+)\s*:\s*(.*?)\s*$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_PROLOGUE = re.compile(r"^\s*(PREFIX|BASE)\b", re.IGNORECASE)
_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
_HEADER_KEYS = {"rule", "label", "definition", "scope"}


class RuleError(ValueError):
    """A rule file breaks the contract of docs/tagging.md; the message names the file."""


@dataclass(frozen=True)
class Rule:
    slug: str
    label: str
    definition: str
    scope: str
    prologue: str  # PREFIX/BASE lines
    select: str  # the SELECT query without its prologue
    path: Path

    @property
    def iri(self) -> str:
        return RULES + self.slug


def read_rule(path: Path) -> Rule:
    header: dict[str, str] = {}
    prologue: list[str] = []
    body: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _HEADER.match(line)
        if match and not body and match.group(1) in _HEADER_KEYS:
            header[match.group(1)] = match.group(2)
        elif _PROLOGUE.match(line) and not body:
            prologue.append(line)
        elif line.strip() and not line.lstrip().startswith("#"):
            body.append(line)
    missing = sorted(_HEADER_KEYS - header.keys())
    if missing:
        raise RuleError(f"{path}: header lacks {', '.join(missing)} (see docs/tagging.md)")
    if not _SLUG.match(header["rule"]):
        raise RuleError(f"{path}: rule name {header['rule']!r} must be lower-case letters, digits and '-'")
    if header["scope"] not in SCOPES:
        raise RuleError(f"{path}: scope must be one of {', '.join(SCOPES)}, not {header['scope']!r}")
    select = "\n".join(body)
    if not select.lstrip().upper().startswith("SELECT") or not _WHERE.search(select):
        raise RuleError(f"{path}: the rule must be one SELECT … WHERE {{ … }} query")
    for variable in ("?record", "?result"):
        if variable not in select:
            raise RuleError(f"{path}: the SELECT must bind {variable}")
    return Rule(
        header["rule"], header["label"], header["definition"], header["scope"], "\n".join(prologue), select, path
    )


def load_rules(folder: Path) -> tuple[Rule, ...]:
    rules = tuple(read_rule(path) for path in sorted(folder.rglob("*.rq")))
    seen: dict[str, Path] = {}
    for rule in rules:
        if rule.slug in seen:
            raise RuleError(f"{rule.path}: rule {rule.slug!r} is also defined in {seen[rule.slug]}")
        seen[rule.slug] = rule.path
    return rules


def load_parameters(folder: Path) -> dict[str, str]:
    """``rules/parameters.toml``: ``[name] value = …, source = "…"`` → SPARQL literal text."""
    path = folder / "parameters.toml"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        table = tomllib.load(handle)
    out: dict[str, str] = {}
    for name, entry in table.items():
        value = entry.get("value") if isinstance(entry, dict) else None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RuleError(f"{path}: parameter {name!r} needs a numeric 'value'")
        out[name] = repr(value)
    return out


#: extra rule folders (os.pathsep-separated) a deployment adds to the shipped rules/, without code
RULES_ENV = "EDUHUB_RULES"


def rule_folders() -> tuple[Path, ...]:
    extra = [Path(p) for p in os.environ.get(RULES_ENV, "").split(os.pathsep) if p]
    return (data_dir("rules"), *extra)


def shipped_rules() -> tuple[Rule, ...]:
    """The rules in force: rules/ and the folders named by $EDUHUB_RULES (read once per folder set)."""
    return _rules(rule_folders())


def shipped_parameters() -> dict[str, str]:
    """Parameters of rules/parameters.toml, overridden by those of the extra folders."""
    return _parameters(rule_folders())


@cache
def _rules(folders: tuple[Path, ...]) -> tuple[Rule, ...]:
    rules = tuple(rule for folder in folders for rule in load_rules(folder))
    seen: dict[str, Path] = {}
    for rule in rules:
        if rule.slug in seen:
            raise RuleError(f"{rule.path}: rule {rule.slug!r} is also defined in {seen[rule.slug]}")
        seen[rule.slug] = rule.path
    prologue(rules)  # conflicting prefixes fail here, when the rules are read
    return rules


@cache
def _parameters(folders: tuple[Path, ...]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for folder in folders:
        merged.update(load_parameters(folder))
    return merged


_PREFIX = re.compile(r"^\s*PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>\s*$", re.IGNORECASE)


def prologue(rules: Iterable[Rule]) -> str:
    """One PREFIX block for a request running several rules.

    Oxigraph (0.5) reads a prologue only at the start of an update request, not after ';' as
    SPARQL 1.1 Update allows, so the rules' PREFIX lines are merged and put first; two rules that
    bind one prefix to different IRIs are refused.
    """
    bound: dict[str, tuple[str, Path]] = {}
    for rule in rules:
        for line in rule.prologue.splitlines():
            match = _PREFIX.match(line)
            if not match:
                raise RuleError(f"{rule.path}: only PREFIX declarations may precede the SELECT: {line.strip()!r}")
            name, iri = match.group(1) or "", match.group(2)
            if name in bound and bound[name][0] != iri:
                raise RuleError(
                    f"{rule.path}: prefix {name}: is <{iri}> here but <{bound[name][0]}> in {bound[name][1]}"
                )
            bound[name] = (iri, rule.path)
    return "\n".join(f"PREFIX {name}: <{iri}>" for name, (iri, _) in bound.items())


def request(rules: Sequence[Rule], operations: Sequence[str]) -> str:
    """A whole update request: the merged prologue, then the operations."""
    if not operations:
        return ""
    return prologue(rules) + "\n" + " ;\n".join(operations)


def assessments_graph(base: str, source: str) -> str:
    return f"{base}/assessments/{quote(source, safe='')}"


def timestamp(now: datetime | None = None) -> str:
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return f'"{moment.isoformat().replace("+00:00", "Z")}"^^<http://www.w3.org/2001/XMLSchema#dateTime>'


def _fill(rule: Rule, text: str, parameters: dict[str, str], now: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "now":
            return now
        if name not in parameters:
            raise RuleError(f"{rule.path}: unknown parameter {{{{{name}}}}} (rules/parameters.toml)")
        return parameters[name]

    return _PLACEHOLDER.sub(value, text)


def insert_operation(
    rule: Rule,
    graph: str,
    *,
    now: str,
    parameters: dict[str, str],
    records: Sequence[str] | None = None,
    record_prefix: str | None = None,
) -> str:
    """One SPARQL UPDATE operation writing ``rule``'s assessments into ``graph``.

    ``records`` restricts the rule to those record graphs (a page), ``record_prefix`` to the
    records of one source; the restriction goes inside the rule's WHERE so the store
    evaluates the rule for those records only.
    """
    restriction = ""
    if records is not None:
        restriction = "VALUES ?record { " + " ".join(f"<{r}>" for r in records) + " }"
    elif record_prefix is not None:
        restriction = f'FILTER(STRSTARTS(STR(?record), "{record_prefix}"))'
    select = _fill(rule, rule.select, parameters, now)
    where = _WHERE.search(select)
    assert where is not None  # read_rule checked it
    select = select[: where.end()] + "\n  " + restriction + "\n" + select[where.end() :]
    return f"""INSERT {{ GRAPH <{graph}> {{
  ?record <{HUB}assessment> ?assessment .
  ?assessment a <{HUB}Assessment> ; <{HUB}rule> <{rule.iri}> ; <{HUB}result> ?result ;
    <{HUB}score> ?score ; <{HUB}evidence> ?evidence ; <http://purl.org/dc/terms/created> {now} .
}} }}
WHERE {{
  {{ SELECT ?record ?result (SAMPLE(?score0) AS ?score) (SAMPLE(?evidence0) AS ?evidence) WHERE {{
    {{ {_rename(select)} }}
  }} GROUP BY ?record ?result }}
  BIND(IRI(CONCAT(STR(?record), "#{rule.slug}--", REPLACE(STR(?result), "^.*[/#]", ""))) AS ?assessment)
}}"""


def _rename(select: str) -> str:
    """The rule's ?score/?evidence become ?score0/?evidence0 so the wrapper can SAMPLE them."""
    return re.sub(r"\?(score|evidence)\b", r"?\g<1>0", select)


def delete_operation(graph: str, records: Sequence[str], rules: Iterable[Rule] | None = None) -> str:
    """Remove the assessments of ``records`` (by ``rules`` only, when given) from ``graph``."""
    values = " ".join(f"<{r}>" for r in records)
    by_rule = ""
    if rules is not None:
        # A FILTER, not a VALUES join: joined, pyoxigraph reads those rules' assessments across the
        # whole graph for every page (47 s a page at 100,000 records; BENCHMARKS.md "Tagging").
        by_rule = f"?assessment <{HUB}rule> ?rule . FILTER(?rule IN (" + ", ".join(f"<{r.iri}>" for r in rules) + "))"
    return f"""DELETE {{ GRAPH <{graph}> {{ ?record <{HUB}assessment> ?assessment . ?assessment ?p ?o }} }}
WHERE {{ VALUES ?record {{ {values} }} GRAPH <{graph}> {{
  ?record <{HUB}assessment> ?assessment . {by_rule} ?assessment ?p ?o }} }}"""


def page_operations(
    base: str,
    source: str,
    written: Sequence[str],
    deleted: Sequence[str],
    *,
    rules: Sequence[Rule] | None = None,
    parameters: dict[str, str] | None = None,
    now: str | None = None,
) -> str:
    """The tagging part of a page's update: old assessments out, record-scope rules over the page."""
    rules = shipped_rules() if rules is None else rules
    parameters = shipped_parameters() if parameters is None else parameters
    now = now or timestamp()
    graph = assessments_graph(base, source)
    per_record = [r for r in rules if r.scope == "record"]
    operations = []
    if deleted:  # a record that left the hub takes all its assessments along
        operations.append(delete_operation(graph, deleted))
    if written and per_record:
        operations.append(delete_operation(graph, written, per_record))
        operations += [
            insert_operation(rule, graph, now=now, parameters=parameters, records=written) for rule in per_record
        ]
    return request(per_record, operations)


def source_operations(
    base: str,
    source: str,
    record_prefix: str,
    *,
    scopes: Sequence[str] = SCOPES,
    rules: Sequence[Rule] | None = None,
    parameters: dict[str, str] | None = None,
    now: str | None = None,
    separately: bool = False,
) -> Any:
    """Re-run the rules of ``scopes`` over every record of a source (retag, or end of a harvest).

    One request (one transaction) by default; ``separately`` gives one request per operation,
    which a large retag wants: one transaction over 100,000 records held 14.7 GB and ran 3 times
    slower than its parts (BENCHMARKS.md "Tagging"), at the price of a retag readers see half done.
    """
    rules = shipped_rules() if rules is None else rules
    parameters = shipped_parameters() if parameters is None else parameters
    now = now or timestamp()
    graph = assessments_graph(base, source)
    chosen = [r for r in rules if r.scope in scopes]
    if set(scopes) == set(SCOPES):
        operations = [f"DROP SILENT GRAPH <{graph}>"]
    else:
        operations = [
            f"""DELETE {{ GRAPH <{graph}> {{ ?record <{HUB}assessment> ?assessment . ?assessment ?p ?o }} }}
WHERE {{ GRAPH <{graph}> {{ ?record <{HUB}assessment> ?assessment . ?assessment <{HUB}rule> ?rule .
  VALUES ?rule {{ {" ".join(f"<{r.iri}>" for r in chosen)} }} ?assessment ?p ?o }} }}"""
        ]
    operations += [
        insert_operation(rule, graph, now=now, parameters=parameters, record_prefix=record_prefix) for rule in chosen
    ]
    if separately:
        return [request(chosen, [operation]) for operation in operations]
    return request(chosen, operations)
