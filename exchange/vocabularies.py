"""The SKOS vocabularies shipped in vocabularies/, indexed once for ingest and tagging.

Every ``.ttl`` file under vocabularies/ (recursively) is read: concept schemes, the hub's
bindings, mapping sets. What a scheme is *for* is data, not code, so standards experts add
schemes without touching Python; these triples on a scheme IRI (``hub:`` is
https://w3id.org/eduhub/ns#) are understood:

``hub:sharedFor "learningResourceType"``
    the scheme is THE shared scheme of that hub record field (one per field);
``hub:lomSource "LOMv1.0" ; hub:lomElement "educational/context"``
    LOM values of that element whose ``<source>`` is that string are concepts of the scheme
    (several sources or elements on one scheme bind every pair of them);
``hub:openLicense true``
    on a concept of the licence scheme: open per the Open Definition / OSI.

Mapping triples (``skos:exactMatch`` … ``skos:relatedMatch``) from any file link concepts
across schemes; :meth:`Index.shared_concepts` follows them. A file that does not parse or
breaks these rules raises :class:`VocabularyError` naming the file.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyoxigraph as ox

from exchange.namespaces import HUB, RDF_TYPE, SKOS
from exchange.normalize import licence_uri
from exchange.resources import data_dir

#: Graph names of files that hold no single concept scheme (bindings, mapping sets, labels).
FILE_GRAPH_BASE = "https://w3id.org/eduhub/vocab/files/"

_XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
_SEPARATORS = re.compile(r"[\s_\-]+")
_CC_PORTED = re.compile(r"^(https://creativecommons\.org/licenses/[a-z-]+/\d\.\d/)[a-z]{2}/$")

#: Lookup keys of a concept, strongest first: a value that is one concept's local name and
#: another's altLabel means the first.
_KEY_RANKS = {"local": 0, SKOS + "notation": 1, SKOS + "prefLabel": 2, SKOS + "altLabel": 3, SKOS + "hiddenLabel": 4}
_MATCHES = {SKOS + name for name in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch")}


class VocabularyError(ValueError):
    """A vocabulary file is broken or breaks the binding rules; the message names the file."""


def lookup_key(value: str) -> str:
    """What two spellings of one value share: case, accents and space/underscore/hyphen ignored
    (``Narrative text``, ``narrative_text``, ``narrativeText`` and ``Nárrative-Text`` agree)."""
    decomposed = unicodedata.normalize("NFKD", value.strip())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SEPARATORS.sub("", plain.casefold())


def drift_key(iri: str) -> str:
    """``http://x`` and ``https://x`` as one key: w3id and CC IRIs circulate in both spellings."""
    for scheme in ("https://", "http://"):
        if iri.startswith(scheme):
            return iri[len(scheme) :]
    return iri


def local_name(concept: str, scheme: str) -> str:
    """The concept's name within its scheme: after the scheme IRI, else after the last / or #."""
    if concept.startswith(scheme) and len(concept) > len(scheme):
        return concept[len(scheme) :]
    return re.split(r"[/#]", concept.rstrip("/"))[-1]


@dataclass(frozen=True)
class Scheme:
    """A concept scheme with what the hub needs of it: its concepts, lookup keys and bindings."""

    iri: str
    path: Path
    #: every concept IRI of the scheme, sorted
    concepts: tuple[str, ...]
    #: concept IRIs by :func:`lookup_key` of local name, notation and labels (ambiguous keys left out)
    keys: dict[str, str] = dataclasses.field(default_factory=dict, repr=False)
    #: the hub record fields this is the shared scheme of
    shared_for: tuple[str, ...] = ()
    #: (LOM element, <source> string) pairs bound to this scheme
    lom_bindings: tuple[tuple[str, str], ...] = ()
    #: keys several unrelated concepts claim with equal strength (so none of them gets them)
    ambiguous: frozenset[str] = frozenset()
    #: concept IRIs by :func:`drift_key`
    iris: dict[str, str] = dataclasses.field(default_factory=dict, repr=False)

    def lookup(self, value: str) -> str | None:
        """The concept a source value names: its IRI (either http/https spelling), local name,
        notation or any pref/alt/hidden label in any language; None when unknown or ambiguous."""
        value = value.strip()
        if not value:
            return None
        return self.iris.get(drift_key(value)) or self.keys.get(lookup_key(value))


@dataclass(frozen=True)
class VocabularyFile:
    """One file of vocabularies/ and the store graph it is loaded into."""

    path: Path
    #: path below the vocabularies folder, with / separators
    relative: str
    #: named graph: the scheme IRI when the file declares exactly one scheme, else
    #: :data:`FILE_GRAPH_BASE` + ``relative``
    graph: str
    schemes: tuple[str, ...]


@dataclass
class _Triples:
    """All triples of the folder, with the file each came from (for error messages)."""

    rows: list[tuple[Path, str, str, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple]] = dataclasses.field(
        default_factory=list
    )

    def objects(self, predicate: str) -> Iterator[tuple[Path, str, ox.NamedNode | ox.BlankNode | ox.Literal]]:
        for path, subject, pred, obj in self.rows:
            if pred == predicate and not isinstance(obj, ox.Triple):
                yield path, subject, obj


@dataclass(frozen=True)
class Index:
    """Everything the hub knows about its vocabularies, as dictionaries (built by :func:`build_index`)."""

    folder: Path
    files: tuple[VocabularyFile, ...]
    schemes: dict[str, Scheme]
    #: drift key → the concept IRI as its shipped scheme spells it
    spelled: dict[str, str]
    #: concept IRI → IRIs of the shipped schemes it is in
    membership: dict[str, tuple[str, ...]]
    #: field → shared scheme IRI
    shared: dict[str, str]
    #: (element key, source key) → scheme IRI
    lom: dict[tuple[str, str], str]
    #: concept → concepts it may be tagged as (same meaning or broader), from mapping triples
    links: dict[str, tuple[str, ...]]
    #: concept → {language: prefLabel}
    pref_labels: dict[str, dict[str, str]]
    #: licence concept → open or not
    open_licences: dict[str, bool]

    def scheme(self, iri: str) -> Scheme:
        found = self.schemes.get(iri) or self.schemes.get(self.canonical(iri))
        if found is None:
            raise LookupError(f"vocabulary {iri!r} is not shipped in {self.folder}")
        return found

    def canonical(self, concept_iri: str) -> str:
        """The IRI as the shipped scheme spells it (``http://w3id.org/…`` → ``https://…``), else unchanged."""
        return self.spelled.get(drift_key(concept_iri.strip()), concept_iri)

    def scheme_of(self, concept_iri: str) -> Scheme | None:
        schemes = self.membership.get(self.canonical(concept_iri))
        return self.schemes[schemes[0]] if schemes else None

    def for_lom(self, element: str, source: str) -> Scheme | None:
        iri = self.lom.get((_element_key(element), _source_key(source)))
        return self.schemes[iri] if iri else None

    def shared_scheme(self, field: str) -> Scheme | None:
        iri = self.shared.get(field)
        return self.schemes[iri] if iri else None

    def shared_concepts(self, concept_iri: str, field: str) -> list[str]:
        """The concepts of the field's shared scheme that ``concept_iri`` may be tagged as.

        The concept itself if it is in that scheme. Otherwise mapping links are followed only
        towards the same or a broader meaning: exactMatch and closeMatch both ways, broadMatch
        forwards and narrowMatch backwards (``A narrowMatch B`` says B's broader match is A).
        narrowMatch forwards and relatedMatch are never followed: tagging a record with a
        narrower or merely related concept would claim more than the source said.

        At most two links are followed, so a national concept reaches the shared scheme through
        one intermediate (national → LOM base → shared, or via an external hub such as
        w3id.org/kim/isced-2011). Direct links win: the second step is taken only when no first
        step lands in the shared scheme. Visited concepts are skipped, so cycles end.
        """
        scheme = self.shared_scheme(field)
        if scheme is None:
            return []
        start = _node(concept_iri.strip(), self.spelled)
        if scheme.iri in self.membership.get(start, ()):
            return [start]
        seen, frontier = {start}, [start]
        for _ in range(2):
            reached = [target for node in frontier for target in self.links.get(node, ()) if target not in seen]
            reached = list(dict.fromkeys(reached))
            seen.update(reached)
            found = [target for target in reached if scheme.iri in self.membership.get(target, ())]
            if found:
                return found
            frontier = reached
        return []

    def labels(self, concept_iri: str) -> dict[str, str]:
        """prefLabels by language tag, from every file (our translation files included)."""
        return dict(self.pref_labels.get(self.canonical(concept_iri), {}))

    def is_open_licence(self, iri: str) -> bool | None:
        """Open (True), not open (False) or unknown (None), from ``hub:openLicense`` in the licence
        scheme. Also understood: http/deed/no-slash spellings of CC URIs, ported CC licences (as
        open as the international licence they port) and concepts mapped to a licence concept."""
        candidates = [self.canonical(iri), self.canonical(licence_uri(iri) or iri)]
        ported = _CC_PORTED.match(candidates[-1])
        if ported:
            candidates.append(ported.group(1))
        for candidate in candidates:
            if candidate in self.open_licences:
                return self.open_licences[candidate]
        verdicts = {self.open_licences[c] for c in self.shared_concepts(iri, "license") if c in self.open_licences}
        return verdicts.pop() if len(verdicts) == 1 else None


# ---------------------------------------------------------------------- building the index


def _element_key(element: str) -> str:
    return element.strip().lower()


def _source_key(source: str) -> str:
    return " ".join(source.split()).lower()


def _parse(path: Path) -> list[ox.Triple]:
    try:
        return list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
    except (SyntaxError, ValueError, OSError) as error:
        raise VocabularyError(f"{path}: not valid Turtle: {error}") from None


def _literal(path: Path, subject: str, value: object, what: str) -> str:
    if not isinstance(value, ox.Literal) or not value.value.strip():
        raise VocabularyError(f"{path}: {what} of <{subject}> must be a non-empty literal, not {value}")
    return value.value.strip()


def _read_files(folder: Path) -> tuple[_Triples, dict[Path, list[str]]]:
    triples = _Triples()
    schemes_by_file: dict[Path, list[str]] = {}
    for path in sorted(folder.rglob("*.ttl")):
        schemes: list[str] = []
        for triple in _parse(path):
            subject = triple.subject.value if isinstance(triple.subject, ox.NamedNode) else str(triple.subject)
            triples.rows.append((path, subject, triple.predicate.value, triple.object))
            if triple.predicate.value == RDF_TYPE and triple.object == ox.NamedNode(SKOS + "ConceptScheme"):
                schemes.append(subject)
        schemes_by_file[path] = list(dict.fromkeys(schemes))
    return triples, schemes_by_file


def _files(folder: Path, schemes_by_file: dict[Path, list[str]]) -> tuple[VocabularyFile, ...]:
    files, graphs = [], {}
    for path, schemes in schemes_by_file.items():
        relative = path.relative_to(folder).as_posix()
        graph = schemes[0] if len(schemes) == 1 else FILE_GRAPH_BASE + relative
        if graph in graphs:
            raise VocabularyError(f"{path}: graph <{graph}> is also the graph of {graphs[graph]} (one file per scheme)")
        graphs[graph] = path
        files.append(VocabularyFile(path=path, relative=relative, graph=graph, schemes=tuple(schemes)))
    return tuple(files)


def _membership(triples: _Triples, schemes_by_file: dict[Path, list[str]]) -> dict[str, list[str]]:
    """Concept → schemes, from inScheme/topConceptOf/hasTopConcept; a skos:Concept with none of
    these belongs to the only scheme of its file."""
    known = {scheme for schemes in schemes_by_file.values() for scheme in schemes}
    members: dict[str, list[str]] = defaultdict(list)

    def add(concept: str, scheme: str) -> None:
        if scheme in known and scheme not in members[concept]:
            members[concept].append(scheme)

    for _, subject, predicate, obj in triples.rows:
        if predicate in (SKOS + "inScheme", SKOS + "topConceptOf") and isinstance(obj, ox.NamedNode):
            add(subject, obj.value)
        elif predicate == SKOS + "hasTopConcept" and isinstance(obj, ox.NamedNode):
            add(obj.value, subject)
    for path, subject, predicate, obj in triples.rows:
        is_concept = predicate == RDF_TYPE and obj == ox.NamedNode(SKOS + "Concept")
        if is_concept and subject not in members and len(schemes_by_file[path]) == 1:
            add(subject, schemes_by_file[path][0])
    return {concept: schemes for concept, schemes in members.items() if schemes}


def _keys(
    scheme: str, concepts: Iterable[str], texts: dict[str, list[tuple[str, str]]], broader: dict[str, set[str]]
) -> tuple[dict[str, str], frozenset[str]]:
    """Lookup keys of a scheme's concepts. A key several concepts claim at the same rank goes to
    the one the others have as skos:broader (ISCED-F names field 01 and its narrow field 011 both
    "Education": the broader claims less), else to none of them."""
    best: dict[str, tuple[int, set[str]]] = {}
    for concept in concepts:
        claims = [("local", local_name(concept, scheme)), *texts.get(concept, [])]
        for kind, text in claims:
            key, rank = lookup_key(text), _KEY_RANKS[kind]
            if not key:
                continue
            held = best.get(key)
            if held is None or rank < held[0]:
                best[key] = (rank, {concept})
            elif rank == held[0]:
                held[1].add(concept)
    keys, ambiguous = {}, set()
    for key, (_, owners) in best.items():
        heads = [c for c in owners if all(c == other or c in broader.get(other, ()) for other in owners)]
        if len(heads) == 1:
            keys[key] = heads[0]
        else:
            ambiguous.add(key)
    return keys, frozenset(ambiguous)


def _bindings(
    triples: _Triples, schemes: set[str]
) -> tuple[dict[str, str], dict[tuple[str, str], str], dict[str, list[str]], dict[str, list[tuple[str, str]]]]:
    """hub:sharedFor and hub:lomSource/hub:lomElement, checked against the shipped schemes."""
    shared: dict[str, str] = {}
    claimed_in: dict[str, Path] = {}
    shared_of: dict[str, list[str]] = defaultdict(list)
    sources: dict[str, list[str]] = defaultdict(list)
    elements: dict[str, list[str]] = defaultdict(list)
    where: dict[str, Path] = {}
    for predicate in ("sharedFor", "lomSource", "lomElement"):
        for path, subject, obj in triples.objects(HUB + predicate):
            if subject not in schemes:
                raise VocabularyError(
                    f"{path}: hub:{predicate} on <{subject}>, which no file declares a skos:ConceptScheme"
                )
            value = _literal(path, subject, obj, f"hub:{predicate}")
            where[subject] = path
            if predicate == "sharedFor":
                if shared.get(value, subject) != subject:
                    raise VocabularyError(
                        f"{path}: field {value!r} already has the shared scheme <{shared[value]}> "
                        f"(in {claimed_in[value]}); one shared scheme per field"
                    )
                shared[value], claimed_in[value] = subject, path
                shared_of[subject].append(value)
            else:
                (sources if predicate == "lomSource" else elements)[subject].append(value)
    lom: dict[tuple[str, str], str] = {}
    pairs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for scheme in sorted(set(sources) | set(elements)):
        if not sources[scheme] or not elements[scheme]:
            raise VocabularyError(f"{where[scheme]}: <{scheme}> needs both hub:lomSource and hub:lomElement")
        for element in elements[scheme]:
            for source in sources[scheme]:
                key = (_element_key(element), _source_key(source))
                if lom.get(key, scheme) != scheme:
                    raise VocabularyError(
                        f"{where[scheme]}: LOM {element} with source {source!r} is bound to both "
                        f"<{lom[key]}> (in {where[lom[key]]}) and <{scheme}>"
                    )
                lom[key] = scheme
                pairs[scheme].append((element, source))
    return shared, lom, shared_of, pairs


def _node(iri: str, canonical: dict[str, str]) -> str:
    """A concept as a node of the mapping graph: shipped concepts by their spelling, others by
    :func:`drift_key`, so http and https mentions of an external concept are one node too."""
    return canonical.get(drift_key(iri)) or drift_key(iri)


def _links(triples: _Triples, canonical: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """Mapping triples as 'may be tagged as' edges (see :meth:`Index.shared_concepts`)."""
    links: dict[str, list[str]] = defaultdict(list)
    for path, subject, predicate, obj in triples.rows:
        if predicate not in _MATCHES:
            continue
        if not isinstance(obj, ox.NamedNode):
            raise VocabularyError(f"{path}: {predicate.removeprefix(SKOS)} of <{subject}> must be an IRI, not {obj}")
        source, target = _node(subject, canonical), _node(obj.value, canonical)
        if predicate.endswith(("exactMatch", "closeMatch")):
            links[source].append(target)
            links[target].append(source)
        elif predicate.endswith("broadMatch"):
            links[source].append(target)
        elif predicate.endswith("narrowMatch"):
            links[target].append(source)
    return {node: tuple(dict.fromkeys(targets)) for node, targets in links.items()}


def build_index(folder: Path) -> Index:
    """Read every ``.ttl`` under ``folder`` (recursively) into an :class:`Index`."""
    triples, schemes_by_file = _read_files(folder)
    declared: dict[str, Path] = {}
    for path, schemes in schemes_by_file.items():
        for scheme in schemes:
            if scheme in declared:
                raise VocabularyError(f"{path}: scheme <{scheme}> is already declared in {declared[scheme]}")
            declared[scheme] = path
    files = _files(folder, schemes_by_file)
    membership = _membership(triples, schemes_by_file)
    shared, lom, shared_of, lom_pairs = _bindings(triples, set(declared))

    texts: dict[str, list[tuple[str, str]]] = defaultdict(list)
    broader: dict[str, set[str]] = defaultdict(set)
    pref_labels: dict[str, dict[str, str]] = defaultdict(dict)
    open_licences: dict[str, bool] = {}
    for path, subject, predicate, obj in triples.rows:
        if predicate in _KEY_RANKS and isinstance(obj, ox.Literal):
            texts[subject].append((predicate, obj.value))
            if predicate == SKOS + "prefLabel" and obj.language:
                pref_labels[subject].setdefault(obj.language, obj.value.strip())
        elif predicate in (SKOS + "broader", SKOS + "narrower") and isinstance(obj, ox.NamedNode):
            child, parent = (subject, obj.value) if predicate == SKOS + "broader" else (obj.value, subject)
            broader[child].add(parent)
        elif predicate == HUB + "openLicense":
            if not isinstance(obj, ox.Literal) or obj.datatype.value != _XSD_BOOLEAN:
                raise VocabularyError(f"{path}: hub:openLicense of <{subject}> must be true or false, not {obj}")
            open_licences[subject] = obj.value == "true"

    schemes: dict[str, Scheme] = {}
    by_scheme: dict[str, list[str]] = defaultdict(list)
    for concept, in_schemes in membership.items():
        for scheme in in_schemes:
            by_scheme[scheme].append(concept)
    for iri, path in declared.items():
        concepts = sorted(by_scheme[iri])
        keys, ambiguous = _keys(iri, concepts, texts, broader)
        schemes[iri] = Scheme(
            iri=iri,
            path=path,
            concepts=tuple(concepts),
            keys=keys,
            shared_for=tuple(shared_of.get(iri, ())),
            lom_bindings=tuple(lom_pairs.get(iri, ())),
            ambiguous=ambiguous,
            iris={drift_key(concept): concept for concept in concepts},
        )
    spelled = {drift_key(iri): iri for iri in [*declared, *membership]}
    return Index(
        folder=folder,
        files=files,
        schemes=schemes,
        spelled=spelled,
        membership={concept: tuple(found) for concept, found in membership.items()},
        shared=shared,
        lom=lom,
        links=_links(triples, spelled),
        pref_labels=dict(pref_labels),
        open_licences=open_licences,
    )


# ---------------------------------------------------------------------- the shipped vocabularies


@cache
def index() -> Index:
    """The index of the shipped vocabularies/ folder, built on first use."""
    return build_index(data_dir("vocabularies"))


def schemes() -> dict[str, Scheme]:
    """Every shipped scheme by IRI."""
    return index().schemes


def scheme(iri: str) -> Scheme:
    return index().scheme(iri)


def vocabulary_files() -> tuple[VocabularyFile, ...]:
    return index().files


def for_lom(element: str, source: str) -> Scheme | None:
    """The scheme bound to LOM ``element`` (``educational/context``) and vocabulary ``<source>``."""
    return index().for_lom(element, source)


def scheme_of(concept_iri: str) -> Scheme | None:
    return index().scheme_of(concept_iri)


def canonical(concept_iri: str) -> str:
    return index().canonical(concept_iri)


def shared_scheme(field: str) -> Scheme | None:
    return index().shared_scheme(field)


def shared_concepts(concept_iri: str, field: str) -> list[str]:
    return index().shared_concepts(concept_iri, field)


def labels(concept_iri: str) -> dict[str, str]:
    return index().labels(concept_iri)


def is_open_licence(iri: str) -> bool | None:
    return index().is_open_licence(iri)
