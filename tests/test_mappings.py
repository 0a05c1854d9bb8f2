"""National vocabularies (vocabularies/national) and mappings onto the shared schemes (vocabularies/mappings).

Checks the file contract the vocabulary index relies on, that every mapping links a real source concept
to a real concept of a shared scheme, and that the controlled values of real records (copied into
tests/fixtures/mappings) all have a concept: a Spanish, Dutch, French or Québec value must not fall
through as an unknown literal because a scheme lacks it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
import rdflib
from lxml import etree
from rdflib.namespace import DCTERMS, RDF, SKOS

ROOT = Path(__file__).resolve().parents[1]
VOCABULARIES = ROOT / "vocabularies"
NATIONAL = VOCABULARIES / "national"
MAPPINGS = VOCABULARIES / "mappings"
FIXTURES = Path(__file__).parent / "fixtures" / "mappings"  # published schemes the hub does not ship
REAL = Path(__file__).parent / "fixtures" / "real"
AMB_VALID = Path(__file__).parent / "fixtures" / "lrmi" / "amb" / "20231019" / "examples" / "valid"
AMB_EXAMPLES = ("about", "conceptsAsObjectWithUriOnly", "highered-course", "learningResourceType", "tutoryExample")


def record_files() -> list[Path]:
    """The real LOM records (files and OAI-PMH pages) in tests/fixtures/real/; the fragment that is not
    well-formed XML is no record (see tests/realdata.py NOT_RECORDS)."""
    files = [*(REAL / "lom").glob("*.xml"), *(REAL / "oai-pmh").glob("*.xml")]
    return sorted(p for p in files if p.name != "hs-oer-lom_de_fragment_datetime.xml")


def amb_files() -> list[Path]:
    return [AMB_VALID / f"{name}.json" for name in AMB_EXAMPLES]


HUB = rdflib.Namespace("https://w3id.org/eduhub/ns#")
MATCHES = {SKOS[name] for name in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch")}
NATIONAL_FILES = sorted(NATIONAL.glob("*.ttl"))
MAPPING_FILES = sorted(MAPPINGS.glob("*.ttl"))

#: shared scheme → (concept IRI prefix, real file to fall back on when vocabularies/ does not ship it)
SHARED = {
    "learningResourceType": ("https://w3id.org/kim/hcrt/", None),  # shipped in vocabularies/
    "educationalLevel": ("https://w3id.org/kim/educationalLevel/", None),  # shipped in vocabularies/
    "audience": ("http://purl.org/dcx/lrmi-vocabs/educationalAudienceRole/", None),  # shipped in vocabularies/
    "interactivityType": ("http://purl.org/dcx/lrmi-vocabs/interactivityType/", None),  # shipped in vocabularies/
    "conditionsOfAccess": ("https://w3id.org/kim/conditionsOfAccess/", None),  # shipped in vocabularies/
    "about": ("https://w3id.org/eduhub/vocab/isced-f/", None),
    "license": ("https://creativecommons.org/", None),
}
#: official ISCED-F 2013 broad and narrow codes: the fallback while no ISCED-F scheme is shipped
ISCED_F_CODES = {f"{n:02d}" for n in range(11)} | {
    "001",
    "002",
    "003",
    "011",
    "021",
    "022",
    "023",
    "031",
    "032",
    "041",
    "042",
    "051",
    "052",
    "053",
    "054",
    "061",
    "071",
    "072",
    "073",
    "081",
    "082",
    "083",
    "084",
    "091",
    "092",
    "101",
    "102",
    "103",
    "104",
}
CC_LICENCE = re.compile(
    r"^https://creativecommons\.org/licenses/(by|by-sa|by-nd|by-nc|by-nc-sa|by-nc-nd)/[1-4]\.[05]/$"
)
#: vocabularies mapped FROM that are published SKOS (not ours): prefix → real file to fall back on
EXTERNAL_SOURCES: dict[str, str | None] = {
    "http://w3id.org/openeduhub/vocabs/lom_learning_resource_type/": None,  # shipped in vocabularies/
    "http://w3id.org/openeduhub/vocabs/lom_educational-context/": None,  # shipped in vocabularies/
    "http://w3id.org/openeduhub/vocabs/lom_intended_end_user_role/": None,  # shipped in vocabularies/
    "http://w3id.org/openeduhub/vocabs/lom_interactivity_type/": None,  # shipped in vocabularies/
    "http://w3id.org/kim/schulfaecher/": "kim_schulfaecher.ttl",
    "http://w3id.org/openeduhub/vocabs/discipline/": "oeh_discipline.ttl",
    "http://w3id.org/openeduhub/vocabs/new_lrt/": "oeh_new_lrt.ttl",
    "http://purl.org/dcx/lrmi-vocabs/learningResourceType/": "lrmi_learningResourceType.ttl",
}
#: the DCMI Type Vocabulary (ScoLOMFR writes these IRIs in documentType): mapped, not shipped
DCMI_TYPES = {
    f"http://purl.org/dc/dcmitype/{name}"
    for name in [
        "Collection",
        "Dataset",
        "Event",
        "Image",
        "InteractiveResource",
        "MovingImage",
        "PhysicalObject",
        "Service",
        "Software",
        "Sound",
        "StillImage",
        "Text",
    ]
}
#: Hochschulfächersystematik: licence other-closed, so neither shipped nor copied. Its top-level
#: Fächergruppen (n0-n9, no n6) may be mapped; deeper IRIs only when a fixture record uses them.
HFS = "https://w3id.org/kim/hochschulfaechersystematik/"
HFS_TOP = {f"n{n}" for n in (0, 1, 2, 3, 4, 5, 7, 8, 9)}

#: LOM element (as the ingest names it) → the hub field whose shared scheme it maps to
FIELD_OF = {
    "educational/learningresourcetype": "learningResourceType",
    "general/documenttype": "learningResourceType",
    "general/generalresourcetype": "learningResourceType",
    "educational/context": "educationalLevel",
    "classification/educational level": "educationalLevel",
    "educational/intendedenduserrole": "audience",
    "educational/interactivitytype": "interactivityType",
    "classification/discipline": "about",
    "classification/access rights": "conditionsOfAccess",
    "rights/copyrightandotherrestrictions": "license",
}
#: classification purposes (LOMv1.0 tokens and ScoLOMFR concepts) → element path of their taxa
PURPOSES = {
    "discipline": "classification/discipline",
    "idea": "classification/discipline",
    "educational level": "classification/educational level",
    "access rights": "classification/access rights",
    "http://data.education.fr/voc/scolomfr/concept/scolomfr-voc-028-num-003": "classification/discipline",
    "http://data.education.fr/voc/scolomfr/concept/educational_level": "classification/educational level",
}
LOM_BASE_SOURCES = {"lomv1.0", "lomv1", "lom v1.0", "ieee lom", "lom"}
#: sources whose copyright values name licences (LOM-ES, NL-LOM); elsewhere 6.2 is yes/no
LICENCE_SOURCES = ("lom-es", "http://purl.edustandaard.nl/", "https://purl.edustandaard.nl/")
#: values in the fixture records that are rightly NOT a concept of any scheme
NOT_CONCEPTS = {
    (
        "general/generalresourcetype",
        "http://data.education.fr/voc/scolomfr/concept/scolomfr-voc-004-num-001",
    ): "invalid_scolomfr_*: deliberately a concept of the wrong vocabulary (voc-004 instead of voc-005)",
    ("rights/copyrightandotherrestrictions", "None"): "eXeLearning writes Python's None when no licence is set",
}


# ---------------------------------------------------------------------- reading vocabularies


def lookup_key(value: str) -> str:
    """How the ingest compares values: case, accents and space/underscore/hyphen ignored."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", value.strip()) if not unicodedata.combining(c))
    return re.sub(r"[\s_\-]+", "", plain.casefold())


def drift(iri: str) -> str:
    """http and https spellings of one IRI as one key (w3id IRIs circulate in both)."""
    return re.sub(r"^https?://", "", iri)


@cache
def graph(path: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(path, format="turtle")


@cache
def shipped_graph() -> rdflib.Graph:
    """Every .ttl of vocabularies/ (the other helpers' shared schemes and ours)."""
    merged = rdflib.Graph()
    for path in sorted(VOCABULARIES.rglob("*.ttl")):
        merged += graph(path)
    return merged


def concepts_with_prefix(prefix: str, fallback: str | None) -> set[str]:
    """Concept IRIs (drift keys) under ``prefix``: from vocabularies/, else from the real fixture copy."""
    found = {drift(str(c)) for c in shipped_graph().subjects(RDF.type, SKOS.Concept) if str(c).startswith(prefix)}
    if not found and fallback:
        copy = graph(FIXTURES / "vocab" / fallback)
        found = {drift(str(c)) for c in copy.subjects(RDF.type, SKOS.Concept) if str(c).startswith(prefix)}
    return found


def is_shared(iri: str, field: str | None = None) -> bool:
    """``iri`` is a concept of the shared scheme of ``field`` (of any shared scheme when None)."""
    for name, (prefix, fallback) in SHARED.items():
        if field not in (None, name) or not drift(iri).startswith(drift(prefix)):
            continue
        known = concepts_with_prefix(prefix, fallback)
        if known:
            if drift(iri) in known:
                return True
            continue
        code = iri.removeprefix(prefix)
        if (name == "about" and code in ISCED_F_CODES) or (name == "license" and CC_LICENCE.match(iri)):
            return True
    return False


@dataclass(frozen=True)
class SchemeInfo:
    iri: str
    path: Path
    #: lookup key → concept IRIs, from notation, labels and local name
    keys: dict[str, frozenset[str]]
    concepts: frozenset[str]


@cache
def national_schemes() -> dict[str, SchemeInfo]:
    schemes = {}
    for path in NATIONAL_FILES:
        g = graph(path)
        (scheme,) = set(g.subjects(RDF.type, SKOS.ConceptScheme))
        keys: dict[str, set[str]] = defaultdict(set)
        concepts = set()
        for concept in g.subjects(SKOS.inScheme, scheme):
            concepts.add(str(concept))
            texts = [str(concept).rstrip("/").rsplit("/", 1)[-1]]
            for predicate in (SKOS.notation, SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel):
                texts += [str(o) for o in g.objects(concept, predicate)]
            for text in texts:
                keys[lookup_key(text)].add(str(concept))
        schemes[str(scheme)] = SchemeInfo(
            str(scheme), path, {k: frozenset(v) for k, v in keys.items()}, frozenset(concepts)
        )
    return schemes


@cache
def bindings() -> dict[tuple[str, str], str]:
    """(LOM element, source) → scheme IRI, from hub:lomSource/lomElement anywhere in vocabularies/."""
    found: dict[tuple[str, str], str] = {}
    g = shipped_graph()
    for scheme in set(g.subjects(HUB.lomElement, None)):
        for element in g.objects(scheme, HUB.lomElement):
            for source in g.objects(scheme, HUB.lomSource):
                found[(str(element).strip().lower(), " ".join(str(source).split()).lower())] = str(scheme)
    return found


@cache
def lom_base_keys() -> dict[str, dict[str, str]]:
    """LOM element → lookup key → OEH concept, for values with source LOMv1.0."""
    out: dict[str, dict[str, str]] = {}
    g = shipped_graph()
    for (element, source), scheme in bindings().items():
        if source == "lomv1.0":
            concepts = {str(c) for c in g.subjects(SKOS.topConceptOf, rdflib.URIRef(scheme))}
            concepts |= {str(c) for c in g.subjects(SKOS.inScheme, rdflib.URIRef(scheme))}
            out[element] = {lookup_key(c.removeprefix(scheme)): c for c in concepts}
    if "educational/learningresourcetype" not in out:  # LOM bindings not shipped yet: the real OEH copies
        for prefix, fallback in EXTERNAL_SOURCES.items():
            if "/lom_" in prefix:
                element = {
                    "lom_learning_resource_type/": "educational/learningresourcetype",
                    "lom_educational-context/": "educational/context",
                    "lom_intended_end_user_role/": "educational/intendedenduserrole",
                    "lom_interactivity_type/": "educational/interactivitytype",
                }[prefix.rsplit("vocabs/", 1)[1]]
                out[element] = {
                    lookup_key(c.rsplit("/", 1)[1]): "http://" + c for c in concepts_with_prefix(prefix, fallback)
                }
    return out


@cache
def mapping_triples() -> list[tuple[Path, str, rdflib.URIRef, str]]:
    rows = []
    for path in MAPPING_FILES:
        for s, p, o in graph(path):
            if p in MATCHES:
                rows.append((path, str(s), p, str(o)))
    return rows


@cache
def links() -> dict[str, set[str]]:
    """'May be tagged as' edges as the ingest follows them: exact/close both ways, broad forward,
    narrow backward. relatedMatch and narrowMatch forwards are never followed."""
    edges: dict[str, set[str]] = defaultdict(set)
    for _, s, p, o in mapping_triples():
        s, o = drift(s), drift(o)
        if p in (SKOS.exactMatch, SKOS.closeMatch):
            edges[s].add(o)
            edges[o].add(s)
        elif p == SKOS.broadMatch:
            edges[s].add(o)
        elif p == SKOS.narrowMatch:
            edges[o].add(s)
    return edges


def reach(concept: str, field: str) -> set[str]:
    """Shared concepts of ``field`` a source concept may be tagged as (at most two links, as the ingest)."""
    if is_shared(concept, field):
        return {drift(concept)}
    seen, frontier = {drift(concept)}, [drift(concept)]
    for _ in range(2):
        reached = {t for node in frontier for t in links().get(node, ()) if t not in seen}
        seen |= reached
        hits = {t for t in reached if is_shared("https://" + t, field) or is_shared("http://" + t, field)}
        if hits:
            return hits
        frontier = list(reached)
    return set()


# ---------------------------------------------------------------------- reading the fixture records


def local(element: etree._Element) -> str:
    return etree.QName(element).localname.lower() if isinstance(element.tag, str) else ""


def kids(element: etree._Element | None, name: str) -> list[etree._Element]:
    return [] if element is None else [c for c in element if local(c) == name.lower()]


def text(element: etree._Element | None) -> str:
    """All strings of a (Lang)String as one line, as the ingest joins them."""
    if element is None:
        return ""
    strings = [s for s in element.iter() if local(s) in ("string", "langstring")]
    parts = ["".join(s.itertext()) for s in strings] if strings else ["".join(element.itertext())]
    return " ".join(" ".join(parts).split())


@dataclass(frozen=True)
class Value:
    record: str
    element: str
    source: str
    value: str

    @property
    def profile(self) -> str:
        name = self.record
        if name.startswith("lomes_"):
            return "LOM-ES"
        if name.startswith(("edurep", "meresco", "anatomytool", "arno")):
            return "NL-LOM/CZP"
        if name.startswith(("scolomfr", "invalid_scolomfr", "lomfr", "suplomfr")):
            return "LOM-FR/ScoLOMFR/SupLOMFR"
        if name.startswith(("normetic", "lom_respel", "lom_aquops")):
            return "Normetic/RESPEL"
        return "HS-OER-LOM"


def record_values(path: Path) -> Iterator[Value]:
    """Controlled values of the mapped elements in every LOM record of a fixture file."""
    tree = etree.parse(str(path), etree.XMLParser(huge_tree=True, resolve_entities=False))
    for lom in (e for e in tree.iter() if local(e) == "lom"):
        pairs: list[tuple[str, etree._Element]] = []
        for educational in kids(lom, "educational"):
            for name in ("learningResourceType", "context", "intendedEndUserRole", "interactivityType"):
                pairs += [(f"educational/{name.lower()}", e) for e in kids(educational, name)]
        for general in kids(lom, "general"):
            for name in ("documentType", "generalResourceType"):
                pairs += [(f"general/{name.lower()}", e) for e in kids(general, name)]
        for rights in kids(lom, "rights"):
            pairs += [
                ("rights/copyrightandotherrestrictions", e) for e in kids(rights, "copyrightAndOtherRestrictions")
            ]
        for element, node in pairs:
            source = text(next(iter(kids(node, "source")), None))
            value = text(next(iter(kids(node, "value") or kids(node, "id")), None))
            if not value or (element.startswith("rights/") and not source.lower().startswith(LICENCE_SOURCES)):
                continue  # LOM base and ScoLOMFR 6.2 are yes/no, not a licence
            yield Value(path.name, element, source, value)
        for classification in kids(lom, "classification"):
            purpose = text(next(iter(kids(next(iter(kids(classification, "purpose")), None), "value")), None))
            element = PURPOSES.get(purpose.lower()) or PURPOSES.get(purpose)
            if element is None:
                continue
            for taxon_path in kids(classification, "taxonPath"):
                source = text(next(iter(kids(taxon_path, "source")), None))
                for taxon in kids(taxon_path, "taxon"):
                    identifier = text(next(iter(kids(taxon, "id")), None))
                    if identifier:
                        yield Value(path.name, element, source, identifier)


@cache
def fixture_values() -> tuple[Value, ...]:
    return tuple(v for path in record_files() for v in record_values(path))


def resolve(value: Value) -> str | None:
    """The concept IRI a value names (as the ingest finds it), or None."""
    if re.match(r"^https?://", value.value):
        iri = value.value
        known = {drift(c) for s in national_schemes().values() for c in s.concepts}
        known |= {drift(s) for _, s, _, _ in mapping_triples()} | {drift(t) for t in DCMI_TYPES}
        return iri if drift(iri) in known or is_shared(iri) else None
    # LOM requires a source; values written without one (AnatomyTOOL) are read as LOMv1.0 tokens
    key = (value.element, " ".join(value.source.split()).lower() or "lomv1.0")
    scheme = bindings().get(key)
    if scheme in national_schemes():
        owners = national_schemes()[scheme].keys.get(lookup_key(value.value), frozenset())
        return next(iter(owners)) if len(owners) == 1 else None
    if key[1] in LOM_BASE_SOURCES:
        return lom_base_keys().get(value.element, {}).get(lookup_key(value.value))
    return None


def coverage() -> dict[str, Counter]:
    """Per profile: values seen, values with a concept, values that reach a shared concept."""
    table: dict[str, Counter] = defaultdict(Counter)
    for value in fixture_values():
        row = table[value.profile]
        row["values"] += 1
        concept = resolve(value)
        if concept:
            row["concept"] += 1
            if reach(concept, FIELD_OF[value.element]):
                row["shared"] += 1
    return dict(table)


# ---------------------------------------------------------------------- tests: files and contract


def test_there_are_national_and_mapping_files() -> None:
    assert len(NATIONAL_FILES) >= 30 and len(MAPPING_FILES) >= 25
    assert (NATIONAL / "README.md").is_file() and (MAPPINGS / "README.md").is_file()


@pytest.mark.parametrize("folder", [NATIONAL, MAPPINGS], ids=["national", "mappings"])
def test_readme_lists_every_file(folder: Path) -> None:
    readme = (folder / "README.md").read_text(encoding="utf-8")
    missing = [p.name for p in folder.glob("*.ttl") if f"`{p.name}`" not in readme]
    assert not missing, f"not listed in {folder.name}/README.md: {missing}"


@pytest.mark.parametrize("path", NATIONAL_FILES, ids=lambda p: p.name)
def test_national_file_follows_the_contract(path: Path) -> None:
    g = graph(path)
    schemes = list(g.subjects(RDF.type, SKOS.ConceptScheme))
    assert len(schemes) == 1, "one skos:ConceptScheme per national file"
    scheme = schemes[0]
    for predicate in (DCTERMS.title, DCTERMS.source, DCTERMS.license, HUB.lomSource, HUB.lomElement):
        assert list(g.objects(scheme, predicate)), f"scheme lacks {predicate}"
    for element in g.objects(scheme, HUB.lomElement):
        assert re.match(r"^(general|educational|rights|classification)/[A-Za-z ]+$", str(element)), element
    concepts = set(g.subjects(RDF.type, SKOS.Concept))
    assert concepts, "a scheme without concepts"
    for concept in concepts:
        assert (concept, SKOS.inScheme, scheme) in g, f"{concept} not inScheme"
        assert list(g.objects(concept, SKOS.notation)), f"{concept} has no notation"
        assert list(g.objects(concept, SKOS.prefLabel)), f"{concept} has no prefLabel"
        for broader in g.objects(concept, SKOS.broader):
            assert broader in concepts, f"{concept} broader {broader} outside the scheme"
        top = (concept, SKOS.topConceptOf, scheme) in g
        assert top != bool(list(g.objects(concept, SKOS.broader))), f"{concept}: top concept xor broader"
    assert not set(g.predicates()) & MATCHES, "national files hold no mapping triples (they go to mappings/)"


@pytest.mark.parametrize("path", NATIONAL_FILES, ids=lambda p: p.name)
def test_notations_name_one_concept(path: Path) -> None:
    """A value in a record must find exactly one concept: no notation key is claimed twice."""
    info = next(s for s in national_schemes().values() if s.path == path)
    g = graph(path)
    for concept in info.concepts:
        for notation in g.objects(rdflib.URIRef(concept), SKOS.notation):
            owners = info.keys[lookup_key(str(notation))]
            assert owners == {concept}, f"{notation!r} also names {owners - {concept}}"


def test_lom_bindings_are_unique_across_all_vocabularies() -> None:
    """The index refuses an (element, source) pair bound to two schemes; ours must not clash with others."""
    seen: dict[tuple[str, str], str] = {}
    for path in sorted(VOCABULARIES.rglob("*.ttl")):
        g = graph(path)
        for scheme in set(g.subjects(HUB.lomElement, None)):
            for element in g.objects(scheme, HUB.lomElement):
                for source in g.objects(scheme, HUB.lomSource):
                    key = (str(element).strip().lower(), " ".join(str(source).split()).lower())
                    assert seen.setdefault(key, str(scheme)) == str(scheme), f"{key} bound twice ({path.name})"
    assert ("educational/learningresourcetype", "lom-esv1.0") in seen


@pytest.mark.parametrize("path", MAPPING_FILES, ids=lambda p: p.name)
def test_mapping_file_follows_the_contract(path: Path) -> None:
    g = graph(path)
    (header,) = set(g.subjects(RDF.type, HUB.MappingSet))
    assert str(header) == f"https://w3id.org/eduhub/vocab/mappings/{path.stem}"
    assert {o.language for o in g.objects(header, DCTERMS.title)} == {"en"}
    assert list(g.objects(header, DCTERMS.source)) and list(g.objects(header, DCTERMS.description))
    rows = 0
    for s, p, o in g:
        if s == header:
            assert p in (RDF.type, DCTERMS.title, DCTERMS.source, DCTERMS.description), p
            continue
        assert p in MATCHES, f"only the five SKOS mapping predicates, not {p}"
        assert isinstance(s, rdflib.URIRef) and isinstance(o, rdflib.URIRef)
        rows += 1
    assert rows, "a mapping set with no mappings"


@cache
def source_concepts() -> set[str]:
    """Concepts a mapping may start from: ours, the shipped LOM base schemes, and published vocabularies."""
    known = {drift(c) for s in national_schemes().values() for c in s.concepts} | {drift(t) for t in DCMI_TYPES}
    for prefix, fallback in EXTERNAL_SOURCES.items():
        known |= concepts_with_prefix(prefix, fallback)
    return known


@cache
def hfs_in_records() -> set[str]:
    """Hochschulfächersystematik concepts the fixture records and AMB examples use."""
    found = set()
    for path in [*record_files(), *amb_files()]:
        found |= set(re.findall(r"w3id\.org/kim/hochschulfaechersystematik/(n\d+)", path.read_text(encoding="utf-8")))
    return found


def test_every_mapping_source_exists() -> None:
    missing = []
    for path, s, _, _ in mapping_triples():
        hfs = s.startswith(HFS) and s.removeprefix(HFS) in HFS_TOP | hfs_in_records()
        if not hfs and drift(s) not in source_concepts():
            missing.append((path.name, s))
    assert not missing, missing


def test_every_mapping_target_is_a_shared_concept() -> None:
    wrong = [(path.name, o) for path, _, _, o in mapping_triples() if not is_shared(o)]
    assert not wrong, wrong


def test_mapping_targets_fit_the_file() -> None:
    """A file maps onto one kind of shared scheme, the one its name says (…-to-hcrt → HCRT)."""
    for path, _, _, o in mapping_triples():
        target = path.stem.split("-to-", 1)[1]
        expected = {
            "hcrt": "learningResourceType",
            "educational-level": "educationalLevel",
            "lrmi-audience-role": "audience",
            "lrmi-interactivity-type": "interactivityType",
            "isced-f": "about",
            "licenses": "license",
            "conditions-of-access": "conditionsOfAccess",
        }[target]
        assert is_shared(o, expected), f"{path.name}: {o} is not in the {expected} scheme"


def test_exact_matches_are_single_per_source_and_scheme() -> None:
    """Two exactMatch targets in one scheme would claim those two concepts are the same."""
    targets: dict[tuple[str, str], set[str]] = defaultdict(set)
    for _, s, p, o in mapping_triples():
        if p == SKOS.exactMatch:
            scheme = next(name for name in SHARED if is_shared(o, name))
            targets[(s, scheme)].add(o)
    assert all(len(v) == 1 for v in targets.values()), {k: v for k, v in targets.items() if len(v) > 1}


def test_no_source_is_both_equal_and_only_related_to_a_target() -> None:
    relation: dict[tuple[str, str], set[str]] = defaultdict(set)
    for _, s, p, o in mapping_triples():
        relation[(s, o)].add(str(p).rsplit("#", 1)[1])
    assert all(len(v) == 1 for v in relation.values()), {k: v for k, v in relation.items() if len(v) > 1}


# ---------------------------------------------------------------------- tests: real records


def test_fixture_records_yield_values_of_every_profile() -> None:
    profiles = Counter(v.profile for v in fixture_values())
    assert set(profiles) == {"LOM-ES", "NL-LOM/CZP", "LOM-FR/ScoLOMFR/SupLOMFR", "Normetic/RESPEL", "HS-OER-LOM"}
    assert sum(profiles.values()) > 300


def test_every_controlled_value_in_the_records_has_a_concept() -> None:
    unknown = sorted(
        {(v.element, v.source, v.value) for v in fixture_values() if (v.element, v.value) not in NOT_CONCEPTS}
        - {(v.element, v.source, v.value) for v in fixture_values() if resolve(v)}
    )
    assert not unknown, unknown


def test_known_non_concepts_are_really_unknown() -> None:
    """The deliberate wrong-vocabulary ScoLOMFR value must not be accepted by the voc-005 scheme."""
    flagged = [v for v in fixture_values() if (v.element, v.value) in NOT_CONCEPTS]
    assert {v.record for v in flagged} >= {"invalid_scolomfr_v3.2_example_wrong_vocab.xml"}
    assert all(resolve(v) is None for v in flagged)
    voc005 = national_schemes()["http://data.education.fr/voc/scolomfr/scolomfr-voc-005"]
    assert "http://data.education.fr/voc/scolomfr/concept/scolomfr-voc-004-num-001" not in voc005.concepts


def test_every_profile_reaches_the_shared_schemes() -> None:
    """Most values reach a shared concept; the rest are values that name no shared concept (README gaps)."""
    table = coverage()
    for profile, row in table.items():
        assert row["concept"] >= row["values"] - 2, profile
        assert row["shared"] / row["values"] > 0.35, f"{profile}: only {row['shared']}/{row['values']} mapped"
    total = sum(table.values(), Counter())
    assert total["shared"] / total["values"] > 0.6


@pytest.mark.parametrize(
    ("record", "element", "value", "field", "expected"),
    [
        # video
        ("lomfr_canal-u_67.xml", "general/documenttype", "image en mouvement", "learningResourceType", "hcrt/video"),
        (
            "meresco-edurep_listrecords_lom_set_surf_page1.xml",
            "educational/learningresourcetype",
            "kennisclip",
            "learningResourceType",
            "hcrt/video",
        ),
        (
            "hs-oer-lom_de_full-example-a.xml",
            "educational/learningresourcetype",
            "https://w3id.org/kim/hcrt/video",
            "learningResourceType",
            "hcrt/video",
        ),
        (
            "lomes_exelearning_rea_andalucia_asi_soy_yo.xml",
            "educational/learningresourcetype",
            "guided reading",
            "learningResourceType",
            "hcrt/text",
        ),
        # levels
        (
            "edurep_sru_searchretrieve_czp_lom.xml",
            "classification/educational level",
            "mbo_niveau3",
            "educationalLevel",
            "educationalLevel/level_3",
        ),
        (
            "edurep_sru_searchretrieve_czp_lom.xml",
            "classification/educational level",
            "00ace3c7-d7a8-41e6-83b1-7f13a9af7668",
            "educationalLevel",
            "educationalLevel/level_3",
        ),
        (
            "scolomfr_v3.2_reference_manual_example_verdun.xml",
            "classification/educational level",
            "http://data.education.fr/voc/scolomfr/concept/scolomfr-voc-022-num-023",
            "educationalLevel",
            "educationalLevel/level_2",
        ),
        (
            "normetic_v1.2_eureka_portfolio.xml",
            "educational/context",
            "universite premier cycle",
            "educationalLevel",
            "educationalLevel/level_6",
        ),
        # subjects
        (
            "hs-oer-lom_de_full-example-a.xml",
            "classification/discipline",
            "http://w3id.org/kim/hochschulfaechersystematik/n37",
            "about",
            "isced-f/054",
        ),
        ("hs-oer-lom_de_fragment_classification.xml", "classification/discipline", "510", "about", "isced-f/054"),
        (
            "lomes_exelearning_rea_andalucia_asi_soy_yo.xml",
            "classification/discipline",
            "2.2.4",
            "about",
            "isced-f/023",
        ),
        (
            "normetic_v1.2_eureka_astronaute.xml",
            "classification/discipline",
            "urn:uuid:3857412145ef394f16e2a0.26753082",
            "about",
            "isced-f/023",
        ),
        # audience
        (
            "scolomfr_v3.2_reference_manual_example_verdun.xml",
            "educational/intendedenduserrole",
            "http://data.education.fr/voc/scolomfr/concept/teacher",
            "audience",
            "educationalAudienceRole/teacher",
        ),
        (
            "lomes_exelearning_fp_lmsgi01_minimal.xml",
            "educational/intendedenduserrole",
            "learner",
            "audience",
            "educationalAudienceRole/student",
        ),
    ],
)
def test_a_teacher_finds_resources_of_every_country(
    record: str, element: str, value: str, field: str, expected: str
) -> None:
    """'video, upper secondary, mathematics': values from the real records land on the shared concepts."""
    (found,) = {v for v in fixture_values() if (v.record, v.element, v.value) == (record, element, value)}
    concept = resolve(found)
    assert concept, f"{value!r} has no concept"
    assert any(target.endswith(expected) for target in reach(concept, field)), reach(concept, field)


def test_related_and_narrow_matches_are_not_followed() -> None:
    """Dutch 'VO' spans ISCED 2 and 3: it keeps its own concept rather than claim either level."""
    vo = "https://w3id.org/eduhub/vocab/nl-lom/context/vo"
    assert reach(vo, "educationalLevel") == set()
    informatiebron = "https://w3id.org/eduhub/vocab/nl-lom/learning-resource-type/informatiebron"
    assert reach(informatiebron, "learningResourceType") == set()


def test_amb_example_concepts_reach_shared_schemes() -> None:
    """about / learningResourceType ids in real AMB examples are shared concepts or map onto one."""
    placeholders = ("http://example-", "https://example-")
    field_of = {"about": "about", "learningResourceType": "learningResourceType"}
    checked = 0
    for path in amb_files():
        record = json.loads(path.read_text(encoding="utf-8"))
        for key, field in field_of.items():
            for item in record.get(key, []):
                iri = item["id"]
                if iri.startswith(placeholders):
                    continue
                assert reach(iri, field), f"{path.name}: {iri} reaches no {field} concept"
                checked += 1
    assert checked >= 6


def test_the_hub_index_loads_these_files() -> None:
    """The hub's own vocabulary index accepts the folder and follows our mappings the same way."""
    from exchange.vocabularies import build_index

    index = build_index(VOCABULARIES)
    scheme = index.for_lom("educational/learningResourceType", "LOM-ESv1.0")
    assert scheme is not None and scheme.iri == "https://w3id.org/eduhub/vocab/lom-es/learning-resource-type/"
    concept = scheme.lookup("guided reading")
    assert index.shared_concepts(concept, "learningResourceType") == ["https://w3id.org/kim/hcrt/text"]
    nl_scheme = index.for_lom("classification/educational level", "http://purl.edustandaard.nl/begrippenkader")
    assert nl_scheme is not None
    level = nl_scheme.lookup("00ace3c7-d7a8-41e6-83b1-7f13a9af7668")
    assert index.shared_concepts(level, "educationalLevel") == ["https://w3id.org/kim/educationalLevel/level_3"]
