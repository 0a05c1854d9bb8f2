"""The HTML pages: one layout (:func:`page`: English chrome, ``lang`` on harvested text, links to
the other formats), escaping (:func:`esc`), links that stay on the hub (:func:`local_href`), and
the record, concept, scheme, scheme list and source pages.
"""

from __future__ import annotations

import html
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import pyoxigraph as ox

from exchange import clusters, reports, vocabularies
from exchange.hub import Hub
from exchange.linkeddata.dataset import Stats, dump_url
from exchange.linkeddata.negotiation import MEDIA_TYPES, PAGE_FORMATS, RDF_FORMATS, XML_FORMATS
from exchange.linkeddata.records import RecordView, record_triples
from exchange.linkeddata.serialization import DCAT, DCT, PREFIXES, _triple_key, compact
from exchange.linkeddata.vocab import _MATCH_PREDICATES, VOCAB, ConceptView, records_using_query
from exchange.model import source_iri
from exchange.model.rdf import AGENT_PROPERTIES, CONCEPT_PROPERTIES
from exchange.namespaces import SKOS, XSD


def base_path(base: str) -> str:
    """The path of the base IRI (``""`` for ``http://host``): hub pages link below it."""
    return urlsplit(base).path.rstrip("/")


def local_href(base: str, iri: str) -> str | None:
    """Where a page of this hub links for ``iri``: its own pages for hub IRIs and hub vocabulary
    IRIs, the IRI itself for other http(s) IRIs, nothing for the rest (``javascript:`` and co)."""
    if iri.startswith(base + "/"):
        return base_path(base) + iri[len(base) :]
    if iri.startswith(VOCAB):
        return base_path(base) + "/vocab/" + iri[len(VOCAB) :]
    if iri.startswith(("http://", "https://")):
        return iri
    return None


# ---------------------------------------------------------------------- layout and escaping


def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _lang_attr(language: str | None) -> str:
    """``lang`` of a harvested text: its tag, or ``""`` (unknown) for text without one."""
    if not language or language == "@none":
        return ' lang=""'
    return f' lang="{esc(language)}"'


def _link(base: str, iri: str, text: str | None = None, language: str | None = None) -> str:
    href = local_href(base, iri)
    lang = _lang_attr(language) if language is not None else ""
    shown = esc(text if text is not None else iri)
    if href is None:
        return f"<span{lang}>{shown}</span>"
    return f'<a href="{esc(href)}"{lang}>{shown}</a>'


def _label(iri: str, labels: Mapping[str, str] | None = None) -> tuple[str, str | None]:
    """(label, its language) for a concept: English first, then any, else the IRI's last part."""
    labels = labels if labels is not None else vocabularies.labels(iri)
    for language in ("en", "en-US", "en-GB"):
        if labels.get(language):
            return labels[language], language
    for language, text in sorted(labels.items()):
        return text, language
    tail = iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    return tail or iri, None


_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;line-height:1.5}"
    "dt{font-weight:bold;margin-top:.5rem}dd{margin-left:1.5rem;white-space:pre-line}table{border-collapse:collapse}"
    "th,td{border:1px solid #999;padding:.25rem .5rem;text-align:left;vertical-align:top}"
    ".iri{font-family:monospace;word-break:break-all}"
)


def page(
    title: str,
    body: str,
    *,
    formats: Sequence[str] = RDF_FORMATS,
    title_lang: str | None = None,
    home: str = "/",
) -> str:
    """A complete HTML document: English chrome, ``lang`` on harvested text, links to the other formats."""
    alternates = "".join(
        f'<link rel="alternate" type="{esc(MEDIA_TYPES[name])}" href="?format={esc(name)}">' for name in formats
    )
    links = "".join(f'<li><a href="?format={esc(name)}">{esc(_FORMAT_LABELS[name])}</a></li>' for name in formats)
    heading_lang = _lang_attr(title_lang) if title_lang is not None else ""
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n{alternates}\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f'<header><nav aria-label="Hub"><a href="{esc(home)}">EduHub Exchange</a></nav></header>\n'
        f"<main>\n<h1{heading_lang}>{esc(title)}</h1>\n{body}\n"
        f'<nav aria-labelledby="formats-heading"><h2 id="formats-heading">Other formats</h2><ul>{links}</ul></nav>\n'
        "</main>\n</body>\n</html>\n"
    )


_FORMAT_LABELS = {
    "html": "HTML",
    "jsonld": "JSON-LD",
    "turtle": "Turtle",
    "ntriples": "N-Triples",
    "rdfxml": "RDF/XML",
    "lom": "IEEE LOM (XML)",
    "oai_dc": "Dublin Core (oai_dc XML)",
    "eduhub": "EduHub native (XML)",
}

#: record fields in page order, with their labels
_RECORD_FIELDS = {
    "name": "Title",
    "description": "Description",
    "keywords": "Keywords",
    "url": "Landing page",
    "identifier": "Identifiers",
    "inLanguage": "Languages",
    "learningResourceType": "Learning resource type",
    "educationalLevel": "Educational level",
    "about": "Subject",
    "audience": "Audience",
    "educationalUse": "Educational use",
    "interactivityType": "Interactivity type",
    "typicalAgeRange": "Typical age range",
    "timeRequired": "Time required",
    "creator": "Creators",
    "contributor": "Contributors",
    "publisher": "Publishers",
    "dateCreated": "Created",
    "datePublished": "Published",
    "dateModified": "Modified",
    "version": "Version",
    "license": "Licence",
    "copyrightNotice": "Copyright notice",
    "conditionsOfAccess": "Conditions of access",
    "isAccessibleForFree": "Free of charge",
    "encodingFormat": "Formats",
    "contentSize": "Size (bytes)",
    "accessMode": "Access mode",
    "accessibilityFeature": "Accessibility features",
    "accessibilityHazard": "Accessibility hazards",
    "accessibilityControl": "Accessibility controls",
    "accessibilityAPI": "Accessibility APIs",
    "accessibilitySummary": "Accessibility summary",
    "qualityLabel": "Quality label",
    "type": "Type",
    "mainEntityOfPage": "Harvested from",
}


def section(key: str, heading: str, content: str) -> str:
    """A section labelled by its own h2 (``id`` = ``{key}-heading``)."""
    return f'<section aria-labelledby="{key}-heading"><h2 id="{key}-heading">{esc(heading)}</h2>{content}</section>'


# ---------------------------------------------------------------------- records


def _texts(value: Mapping[str, Any]) -> str:
    items = []
    for language, text in value.items():
        for one in text if isinstance(text, list) else [text]:
            items.append(f"<dd{_lang_attr(language)}>{esc(one)}</dd>")
    return "".join(items)


def _concept_html(base: str, value: Mapping[str, Any]) -> str:
    if "id" in value:
        text, language = _label(value["id"])
        return f'<dd>{_link(base, value["id"], text, language)} <span class="iri">({esc(value["id"])})</span></dd>'
    labels = value.get("prefLabel") or {}
    if labels:
        text, language = _label("", labels)
        shown = f"<span{_lang_attr(language)}>{esc(text)}</span>"
    else:
        shown = esc(value.get("notation", ""))
    extra = []
    if value.get("notation") and labels:
        extra.append(f"notation {esc(value['notation'])}")
    if value.get("sourceVocabulary"):
        extra.append(f"vocabulary {esc(value['sourceVocabulary'])}")
    if value.get("inScheme"):
        extra.append("scheme " + _link(base, value["inScheme"]))
    note = f" ({'; '.join(extra)})" if extra else ""
    return f"<dd>{shown}{note} <small>(not mapped to a shared concept)</small></dd>"


def _agent_html(base: str, agent: Mapping[str, Any]) -> str:
    name = esc(agent.get("name", ""))
    parts = [_link(base, agent["id"], agent.get("name", "")) if "id" in agent else name]
    parts.append(f"({esc(agent.get('type', ''))})")
    if agent.get("email"):
        parts.append(f"&lt;{esc(agent['email'])}&gt;")
    return f"<dd>{' '.join(parts)}</dd>"


def _page_html(base: str, page_: Mapping[str, Any]) -> str:
    provider = page_.get("provider", {})
    parts = []
    if provider.get("id"):
        parts.append("source " + _link(base, provider["id"], provider.get("name") or provider["id"]))
    parts.append(f'OAI identifier <span class="iri">{esc(page_.get("oaiIdentifier", ""))}</span>')
    parts.append(f"format {esc(page_.get('metadataFormat', ''))}")
    if page_.get("dateModified"):
        parts.append(f"changed {esc(page_['dateModified'])}")
    parts.append(_link(base, page_["id"], "the harvested record"))
    return f"<dd>{', '.join(parts)}</dd>"


def _field_html(base: str, key: str, value: Any) -> str:
    if key in ("name", "description", "copyrightNotice", "accessibilitySummary", "keywords"):
        return _texts(value)
    if key in CONCEPT_PROPERTIES:
        return "".join(_concept_html(base, v) for v in value)
    if key in AGENT_PROPERTIES:
        return "".join(_agent_html(base, v) for v in value)
    if key == "mainEntityOfPage":
        return "".join(_page_html(base, v) for v in value)
    if key == "license":
        text, language = _label(value["id"])
        return f"<dd>{_link(base, value['id'], text, language)}</dd>"
    if key == "url":
        return f"<dd>{_link(base, value)}</dd>"
    if key == "isAccessibleForFree":
        return f"<dd>{'yes' if value else 'no'}</dd>"
    if isinstance(value, list):
        return "".join(f"<dd>{esc(v)}</dd>" for v in value)
    if isinstance(value, dict):
        return f"<dd>{esc(json.dumps(value, ensure_ascii=False))}</dd>"
    return f"<dd>{esc(value)}</dd>"


def record_html(hub: Hub, view: RecordView) -> str:
    base = hub.settings.base
    record = view.record
    if record is None:
        return page(view.iri, _triples_table(base, sorted(record_triples(view), key=_triple_key)), formats=PAGE_FORMATS)
    names = record.get("name") or {}
    title, title_lang = _label("", names) if names else (view.iri, None)
    rows = []
    for key in [*_RECORD_FIELDS, *sorted(k for k in record if k not in _RECORD_FIELDS and k != "id")]:
        if key not in record:
            continue
        rows.append(f"<dt>{esc(_RECORD_FIELDS.get(key, key))}</dt>{_field_html(base, key, record[key])}")
    source = _link(base, source_iri(base, view.source), view.source)
    body = [
        f'<p>Record <span class="iri">{esc(view.iri)}</span> of source {source}.</p>',
        section("fields", "Fields", f"<dl>{''.join(rows)}</dl>"),
        _same_resource_html(hub, view),
        _assessments_html(hub, view),
    ]
    return page(
        title, "\n".join(body), formats=(*PAGE_FORMATS, *XML_FORMATS), title_lang=title_lang, home=base_path(base) + "/"
    )


def _same_resource_html(hub: Hub, view: RecordView) -> str:
    """The other records of the record's cross-source cluster (docs/clusters.md), or nothing."""
    cluster = view.cluster
    if cluster is None:
        return ""
    base = hub.settings.base
    items = "".join(f"<li>{_member_html(base, member)}</li>" for member in cluster.members if member.iri != view.iri)
    keys = ", ".join(f'<span class="iri">{esc(key)}</span>' for key in cluster.keys)
    return section(
        "same-resource",
        "The same resource in other sources",
        f"<p>{len(cluster.sources)} sources describe this resource; linked by {keys} "
        f"({_link(base, cluster.iri, 'the cluster')}).</p><ul>{items}</ul>",
    )


def _member_html(base: str, member: clusters.Member) -> str:
    """A cluster member: its title (linked to its page) and its source."""
    text, language = _label("", member.titles) if member.titles else (member.iri, None)
    source = _link(base, source_iri(base, member.source), member.source)
    return f"{_link(base, member.iri, text, language)} from source {source}"


def cluster_html(hub: Hub, cluster: clusters.ClusterView) -> str:
    """A cluster's page: its keys and its members with their sources, then every statement."""
    base = hub.settings.base
    rows = [
        f'<dt>IRI</dt><dd class="iri">{esc(cluster.iri)}</dd>',
        f"<dt>Records</dt><dd>{cluster.member_count}</dd>",
        "<dt>Sources</dt>"
        + "".join(f"<dd>{_link(base, source_iri(base, name), name)}</dd>" for name in cluster.sources),
        "<dt>Linked by</dt>" + "".join(f'<dd class="iri">{esc(key)}</dd>' for key in cluster.keys),
    ]
    members = "".join(f"<li>{_member_html(base, member)}</li>" for member in cluster.members)
    body = (
        "<p>Records of one resource harvested from several sources (same DOI, Handle or landing URL). "
        "Each stays its source's own description.</p>"
        f"<dl>{''.join(rows)}</dl>\n"
        + section("members", "Records", f"<ul>{members}</ul>")
        + "\n"
        + _triples_table(base, sorted(cluster.triples, key=_triple_key))
    )
    return page(
        f"The same resource in {len(cluster.sources)} sources", body, formats=PAGE_FORMATS, home=base_path(base) + "/"
    )


def _assessments_html(hub: Hub, view: RecordView) -> str:
    base = hub.settings.base
    items = reports.assessments(hub.store, base, view.iri)["assessments"]
    if not items:
        return section("assessments", "Assessments", "<p>None yet.</p>")
    rows = []
    for item in items:
        rule = item["rule"]
        rule_html = esc(rule.get("label") or rule["id"])
        if rule.get("definition"):
            rule_html += f"<br><small>{esc(rule['definition'])}</small>"
        score = "" if item.get("score") is None else esc(item["score"])
        rows.append(
            "<tr>"
            f"<td>{_link(base, item['tag']['id'], item['tag']['label'])}</td>"
            f"<td>{rule_html}</td><td>{score}</td><td>{esc(item.get('evidence', ''))}</td>"
            f"<td>{esc(item['created'])}</td></tr>"
        )
    return section(
        "assessments",
        "Assessments",
        "<p>What the hub's rules found in this record (docs/tagging.md).</p>"
        "<table><caption>Assessments: the tag given, the rule that gave it, score, evidence and time</caption>"
        '<thead><tr><th scope="col">Result</th><th scope="col">Rule</th><th scope="col">Score</th>'
        '<th scope="col">Evidence</th><th scope="col">Assessed</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>",
    )


def _term_html(base: str, term: Any) -> str:
    if isinstance(term, ox.NamedNode):
        return _link(base, term.value)
    if isinstance(term, ox.Literal):
        suffix = ""
        if term.datatype.value not in (XSD + "string", PREFIXES["rdf"] + "langString"):
            suffix = f" <small>({esc(compact(term.datatype.value))})</small>"
        lang = _lang_attr(term.language) if term.language else ""
        return f"<span{lang}>{esc(term.value)}</span>{suffix}"
    return esc(str(term))


def _triples_table(base: str, triples: Sequence[ox.Triple], caption: str = "Every statement") -> str:
    rows = "".join(
        f"<tr><td>{_term_html(base, t.subject)}</td><td>{esc(compact(t.predicate.value))}</td>"
        f"<td>{_term_html(base, t.object)}</td></tr>"
        for t in triples
    )
    return (
        f"<table><caption>{esc(caption)}</caption>"
        '<thead><tr><th scope="col">Subject</th><th scope="col">Property</th><th scope="col">Value</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


# ---------------------------------------------------------------------- concepts and schemes


def _literals_html(terms: Iterable[Any]) -> str:
    out = []
    for term in terms:
        if isinstance(term, ox.Literal):
            out.append(f"<dd{_lang_attr(term.language)}>{esc(term.value)}</dd>")
        elif isinstance(term, ox.NamedNode):
            out.append(f"<dd>{esc(term.value)}</dd>")
    return "".join(out)


def _concepts_html(base: str, iris: Iterable[str]) -> str:
    out = []
    for iri in iris:
        text, language = _label(iri)
        out.append(f"<dd>{_link(base, iri, text, language)}</dd>")
    return "".join(out)


def _iris(terms: Iterable[Any]) -> list[str]:
    return [t.value for t in terms if isinstance(t, ox.NamedNode)]


def concept_html(hub: Hub, view: ConceptView) -> str:
    base = hub.settings.base
    home = base_path(base) + "/"
    if view.is_scheme:
        return _scheme_html(hub, view, home)
    labels = {t.language or "": t.value for t in view.objects(SKOS + "prefLabel") if isinstance(t, ox.Literal)}
    title, title_lang = _label(view.iri, {k: v for k, v in labels.items() if k} or labels)
    rows = [f'<dt>IRI</dt><dd class="iri">{esc(view.iri)}</dd>']
    sections = [
        ("Preferred labels", _literals_html(view.objects(SKOS + "prefLabel"))),
        ("Alternative labels", _literals_html(view.objects(SKOS + "altLabel"))),
        ("Notation", _literals_html(view.objects(SKOS + "notation"))),
        ("Definition", _literals_html(view.objects(SKOS + "definition"))),
        ("Scope note", _literals_html(view.objects(SKOS + "scopeNote"))),
        (
            "In scheme",
            _concepts_html(base, _iris(view.objects(SKOS + "inScheme") + view.objects(SKOS + "topConceptOf"))),
        ),
        (
            "Broader",
            _concepts_html(base, sorted({*_iris(view.objects(SKOS + "broader")), *view.subjects(SKOS + "narrower")})),
        ),
        (
            "Narrower",
            _concepts_html(base, sorted({*_iris(view.objects(SKOS + "narrower")), *view.subjects(SKOS + "broader")})),
        ),
        (
            "Related",
            _concepts_html(base, sorted({*_iris(view.objects(SKOS + "related")), *view.subjects(SKOS + "related")})),
        ),
    ]
    for predicate in _MATCH_PREDICATES:
        name = predicate[len(SKOS) :]
        sections.append((f"Mapped: {name} (from here)", _concepts_html(base, _iris(view.objects(predicate)))))
        sections.append((f"Mapped: {name} (to here)", _concepts_html(base, view.subjects(predicate))))
    rows += [f"<dt>{esc(label)}</dt>{items}" for label, items in sections if items]
    query = quote(records_using_query(view.iri))
    rows.append(
        f'<dt>Records using it</dt><dd><a href="{esc(base_path(base))}/sparql?query={esc(query)}">'
        f"{view.records} record{'s' if view.records != 1 else ''}</a></dd>"
    )
    body = f"<dl>{''.join(rows)}</dl>\n" + _triples_table(base, sorted(view.triples, key=_triple_key))
    return page(title, body, formats=PAGE_FORMATS, title_lang=title_lang, home=home)


def _scheme_html(hub: Hub, view: ConceptView, home: str) -> str:
    base = hub.settings.base
    titles = [t for t in view.objects(DCT + "title") if isinstance(t, ox.Literal)]
    title, title_lang = _label(view.iri, {t.language or "": t.value for t in titles})
    members = sorted({*view.subjects(SKOS + "inScheme"), *view.subjects(SKOS + "topConceptOf")})
    top = sorted({*_iris(view.objects(SKOS + "hasTopConcept")), *view.subjects(SKOS + "topConceptOf")})
    rows = [f'<dt>IRI</dt><dd class="iri">{esc(view.iri)}</dd>']
    for label, predicate in (
        ("Title", DCT + "title"),
        ("Description", DCT + "description"),
        ("Creator", DCT + "creator"),
        ("Publisher", DCT + "publisher"),
    ):
        items = _literals_html(view.objects(predicate))
        if items:
            rows.append(f"<dt>{label}</dt>{items}")
    for label, predicate in (("Licence", DCT + "license"), ("Source", DCT + "source")):
        links = "".join(f"<dd>{_link(base, iri)}</dd>" for iri in _iris(view.objects(predicate)))
        if links:
            rows.append(f"<dt>{label}</dt>{links}")
    rows.append(f"<dt>Concepts</dt><dd>{len(members)}</dd>")
    if top:
        rows.append(f"<dt>Top concepts</dt>{_concepts_html(base, top)}")
    listing = "".join(f"<li>{_link(base, iri, *_label(iri))}</li>" for iri in members)
    body = (
        f"<dl>{''.join(rows)}</dl>\n"
        + section("concepts", "All concepts", f"<ul>{listing}</ul>")
        + "\n"
        + _triples_table(base, sorted(view.own, key=_triple_key), "The scheme's own statements")
    )
    return page(title, body, formats=PAGE_FORMATS, title_lang=title_lang, home=home)


def scheme_list_html(hub: Hub, triples: set[ox.Triple]) -> str:
    base = hub.settings.base
    titles: dict[str, dict[str, str]] = defaultdict(dict)
    schemes = sorted({t.subject.value for t in triples if isinstance(t.subject, ox.NamedNode)})
    for t in triples:
        if t.predicate.value == DCT + "title" and isinstance(t.object, ox.Literal):
            titles[t.subject.value][t.object.language or ""] = t.object.value
    items = []
    for iri in schemes:
        text, language = _label(iri, titles.get(iri, {}))
        items.append(f'<li>{_link(base, iri, text, language)} <span class="iri">{esc(iri)}</span></li>')
    body = f"<p>The concept schemes of this hub ({len(schemes)}).</p><ul>{''.join(items)}</ul>"
    return page("Vocabularies", body, formats=PAGE_FORMATS, home=base_path(base) + "/")


# ---------------------------------------------------------------------- sources


def source_html(hub: Hub, name: str, triples: set[ox.Triple], counts: Stats) -> str:
    base = hub.settings.base
    source = next((s for s in hub.state.sources() if s.name == name), None)
    rows = [f'<dt>IRI</dt><dd class="iri">{esc(source_iri(base, name))}</dd>']
    records = counts.by_source.get(name, 0)
    rows.append(f"<dt>Records</dt><dd>{records}</dd>")
    if source is not None:
        rows.append(f"<dt>OAI-PMH base URL</dt><dd>{_link(base, source.base_url)}</dd>")
        if source.set_spec:
            rows.append(f"<dt>Set harvested</dt><dd>{esc(source.set_spec)}</dd>")
        rows.append(
            f"<dt>Last harvest</dt><dd>{esc(source.last_run_at or 'never')} ({esc(source.last_status or '-')})</dd>"
        )
    licence = counts.licences.get(name)
    if licence:
        text, language = _label(licence[0])
        rows.append(
            f"<dt>Most common licence</dt><dd>{_link(base, licence[0], text, language)} ({licence[1]} records)</dd>"
        )
    report = f"{base_path(base)}/api/sources/{quote(name, safe='')}/report"
    rows.append(f'<dt>Report</dt><dd><a href="{esc(report)}">quality, accessibility and sustainability (JSON)</a></dd>')
    oai = sorted(
        t.object.value for t in triples if t.predicate.value == DCAT + "accessURL" and "/oai?" in t.object.value
    )
    links = "".join(f"<li>{_link(base, url)}</li>" for url in oai)
    links += f"<li>{_link(base, dump_url(base, name), 'Dump of these records (N-Quads, gzip)')}</li>"
    body = f"<dl>{''.join(rows)}</dl>\n" + section("distributions", "Get the records", f"<ul>{links}</ul>")
    return page(f"Source {name}", body, formats=PAGE_FORMATS, home=base_path(base) + "/")
