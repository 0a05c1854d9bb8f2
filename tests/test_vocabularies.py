"""The shipped SKOS vocabularies and their index: files, bindings, lookups, mappings, store graphs."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest

from exchange import vocabularies as v
from exchange.hub import Hub
from exchange.namespaces import HUB, RDF_TYPE, SKOS
from exchange.normalize import licence_uri
from exchange.resources import data_dir, schema_path
from exchange.vocabularies import FILE_GRAPH_BASE, VocabularyError, build_index

FOLDER = data_dir("vocabularies")
AUTHORED = ("eduhub_isced-f.ttl", "eduhub_accessMode.ttl", "eduhub_licenses.ttl", "bindings.ttl")  # + labels/
LANGUAGES = {"en", "de", "fr", "es", "nl", "sv", "fi"}
SHARED_FIELDS = {
    "learningResourceType": "https://w3id.org/kim/hcrt/scheme",
    "educationalLevel": "https://w3id.org/kim/educationalLevel/",
    "about": "https://w3id.org/eduhub/vocab/isced-f/",
    "audience": "http://purl.org/dcx/lrmi-vocabs/educationalAudienceRole/",
    "interactivityType": "http://purl.org/dcx/lrmi-vocabs/interactivityType/",
    "educationalUse": "http://purl.org/dcx/lrmi-vocabs/educationalUse/",
    "conditionsOfAccess": "https://w3id.org/kim/conditionsOfAccess/",
    "license": "https://w3id.org/eduhub/vocab/licenses/",
    "accessMode": "https://w3id.org/eduhub/vocab/accessMode/",
    "accessibilityFeature": "http://purl.org/dcx/lrmi-vocabs/accessibilityFeature/",
    "accessibilityHazard": "http://purl.org/dcx/lrmi-vocabs/accessibilityHazard/",
    "accessibilityControl": "http://purl.org/dcx/lrmi-vocabs/accessibilityControl/",
    "accessibilityAPI": "http://purl.org/dcx/lrmi-vocabs/accessibilityAPI/",
}
HCRT = "https://w3id.org/kim/hcrt/"
LEVEL = "https://w3id.org/kim/educationalLevel/"
OEH_CONTEXT = "http://w3id.org/openeduhub/vocabs/educationalContext/"
ISCED_F = "https://w3id.org/eduhub/vocab/isced-f/"
LOM_LRT = "http://w3id.org/openeduhub/vocabs/lom_learning_resource_type/"
AUDIENCE = "http://purl.org/dcx/lrmi-vocabs/educationalAudienceRole/"
AGGREGATION = "http://w3id.org/openeduhub/vocabs/lom_aggregationlevel/"
RELATION = "http://w3id.org/openeduhub/vocabs/lom_relation_kind/"
ACCESS_MODE = "https://w3id.org/eduhub/vocab/accessMode/"


def triples(path: Path) -> list[ox.Triple]:
    return list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))


def write(folder: Path, name: str, turtle: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PREFIXES + turtle, encoding="utf-8")
    return path


PREFIXES = """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix hub: <https://w3id.org/eduhub/ns#> .
@prefix dct: <http://purl.org/dc/terms/> .
"""


# ---------------------------------------------------------------------- the shipped files


def test_every_file_parses_and_is_one_graph_of_the_index() -> None:
    paths = sorted(FOLDER.rglob("*.ttl"))
    assert len(paths) >= 29
    for path in paths:
        assert triples(path), path  # pyoxigraph alone, independent of the index
    files = v.vocabulary_files()
    assert [f.path for f in files] == paths
    assert len({f.graph for f in files}) == len(files)
    for file in files:
        expected = file.schemes[0] if len(file.schemes) == 1 else FILE_GRAPH_BASE + file.relative
        assert file.graph == expected


def test_every_record_field_with_controlled_values_has_a_labelled_shared_scheme() -> None:
    record_fields = json.loads(schema_path("hub-record.schema.json").read_text(encoding="utf-8"))["properties"]
    for field, iri in SHARED_FIELDS.items():
        assert field in record_fields, field
        scheme = v.shared_scheme(field)
        assert scheme is not None and scheme.iri == iri, field
        assert field in scheme.shared_for
        assert len(scheme.concepts) >= 2, field
        for concept in scheme.concepts:
            languages = v.labels(concept)
            assert any(tag.split("-")[0] == "en" for tag in languages), concept
    assert v.shared_scheme("name") is None


def test_every_file_is_documented_and_the_one_edited_copy_is_fixed() -> None:
    """The README tables every file; the only edited copy is the a11y feature list (a missing ';')."""
    readme = (FOLDER / "README.md").read_text(encoding="utf-8")
    for file in v.vocabulary_files():
        if file.relative.startswith(("national/", "mappings/", "tags/")):
            continue  # documented in their own folders
        assert f"`{file.relative}`" in readme, f"{file.relative} is not documented in vocabularies/README.md"
    feature = (FOLDER / "schemaorg-a11y_accessibilityFeature.ttl").read_text(encoding="utf-8")
    assert 'Zugänglichkeit."@de ;\n    dcterms:license' in feature


def concepts_and_texts(
    paths: list[Path], extra: set[str] = frozenset()
) -> tuple[set[str], dict[str, dict[str, set[str]]], list[tuple[str, str]]]:
    """Concepts typed in ``paths`` (plus ``extra``), their prefLabels by language over ALL shipped
    files, and their broader links (narrower read backwards)."""
    concepts: set[str] = set(extra)
    for path in paths:
        for t in triples(path):
            if t.predicate.value == RDF_TYPE and t.object.value == SKOS + "Concept":
                concepts.add(t.subject.value)
    pref: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    broader: list[tuple[str, str]] = []
    for path in FOLDER.rglob("*.ttl"):
        for t in triples(path):
            subject, predicate, obj = t.subject.value, t.predicate.value, t.object
            if predicate == SKOS + "prefLabel" and subject in concepts:
                pref[subject][obj.language].add(obj.value)
            elif predicate == SKOS + "broader" and subject in concepts:
                broader.append((subject, obj.value))
            elif predicate == SKOS + "narrower" and subject in concepts:
                broader.append((obj.value, subject))
    return concepts, pref, broader


def test_authored_files_keep_skos_integrity() -> None:
    concepts, pref, broader = concepts_and_texts([FOLDER / name for name in AUTHORED])
    assert len(concepts) > 100
    translated = {t.subject.value for path in (FOLDER / "labels").glob("*.ttl") for t in triples(path)}
    assert len(translated) > 80
    _, translated_pref, _ = concepts_and_texts([], translated)
    for concept in concepts | translated:
        assert v.scheme_of(concept) is not None, f"{concept} is in no shipped scheme"
        for language, values in {**pref[concept], **translated_pref[concept]}.items():
            assert len(values) == 1, f"{concept} has {len(values)} prefLabels @{language}: {values}"
    for concept in concepts:
        if not concept.startswith("http://spdx.org/"):  # SPDX names are English only
            assert set(pref[concept]) >= LANGUAGES, f"{concept} lacks {LANGUAGES - set(pref[concept])}"
    parents = defaultdict(set)
    for child, parent in broader:
        parents[child].add(parent)
    for start in concepts:  # no concept is its own ancestor
        seen, frontier = set(), set(parents[start])
        while frontier:
            assert start not in frontier, f"broader cycle through {start}"
            seen |= frontier
            frontier = {p for node in frontier for p in parents[node]} - seen


def test_isced_f_fields_follow_the_unesco_codes() -> None:
    scheme = v.shared_scheme("about")
    assert scheme is not None
    codes = {concept.removeprefix(ISCED_F) for concept in scheme.concepts}
    broad = {code for code in codes if len(code) == 2}
    assert broad == {f"{n:02d}" for n in range(11)}
    narrow = codes - broad
    # the official narrow fields include 002 and 003, and the inter-disciplinary xx8 fields
    assert {"001", "002", "003", "011", "023", "054", "061", "084", "104", "018", "108"} <= narrow
    assert all(len(code) == 3 for code in narrow)
    graph = triples(FOLDER / "eduhub_isced-f.ttl")
    for concept in scheme.concepts:
        code = concept.removeprefix(ISCED_F)
        assert scheme.lookup(code) == concept  # skos:notation and local name agree
        parents = [
            t.object.value for t in graph if t.subject.value == concept and t.predicate.value == SKOS + "broader"
        ]
        assert parents == ([ISCED_F + code[:2]] if len(code) == 3 else [])
    assert v.labels(ISCED_F + "054")["fr"] == "Mathématiques et statistiques"


def test_licence_concepts_are_canonical_uris_with_an_open_flag() -> None:
    scheme = v.shared_scheme("license")
    assert scheme is not None
    graph = triples(FOLDER / "eduhub_licenses.ttl")
    flags = {t.subject.value: t.object.value for t in graph if t.predicate.value == HUB + "openLicense"}
    assert set(flags) == set(scheme.concepts)
    for concept in scheme.concepts:
        if "creativecommons.org" in concept:
            assert licence_uri(concept) == concept  # https, lower case, trailing slash
            code = concept.split("/")[4]
            assert flags[concept] == ("true" if code in ("by", "by-sa", "zero", "mark") else "false"), concept
        else:
            assert concept.startswith("http://spdx.org/licenses/")
        assert not any("Ceci peut" in label for label in v.labels(concept).values()), concept
    for version in ("1.0", "2.0", "2.5", "3.0", "4.0"):
        assert f"https://creativecommons.org/licenses/by-sa/{version}/" in scheme.concepts
    assert "https://creativecommons.org/licenses/by-nd-nc/1.0/" in scheme.concepts  # CC 1.0's spelling
    assert (
        scheme.lookup("CC BY-SA 4.0")
        == scheme.lookup("cc-by-sa-4.0")
        == "https://creativecommons.org/licenses/by-sa/4.0/"
    )
    assert scheme.lookup("gpl-3.0-or-later") == "http://spdx.org/licenses/GPL-3.0-or-later"


@pytest.mark.parametrize(
    ("iri", "expected"),
    [
        ("https://creativecommons.org/licenses/by-sa/4.0/", True),
        ("http://creativecommons.org/licenses/by/4.0/", True),  # http spelling
        ("https://creativecommons.org/licenses/by/3.0/de/", True),  # ported: as open as by/3.0
        ("https://creativecommons.org/licenses/by-nc-sa/4.0/deed.de", False),
        ("https://creativecommons.org/licenses/by-nd/2.0/", False),
        ("https://creativecommons.org/publicdomain/zero/1.0/", True),
        ("https://creativecommons.org/publicdomain/mark/1.0/", True),
        ("http://spdx.org/licenses/MIT", True),
        ("https://www.gnu.org/licenses/gpl-3.0.html", True),  # → SPDX's version-only GPL-3.0
        ("http://spdx.org/licenses/CC-BY-NC-4.0", False),  # via its exactMatch to the CC URI
        ("https://example.org/my-licence", None),
    ],
)
def test_is_open_licence(iri: str, expected: bool | None) -> None:
    assert v.is_open_licence(iri) is expected


# ---------------------------------------------------------------------- lookups


@pytest.mark.parametrize(
    ("scheme_iri", "value", "expected"),
    [
        (LOM_LRT, "narrative text", LOM_LRT + "narrative_text"),
        (LOM_LRT, "Narrative-Text", LOM_LRT + "narrative_text"),
        (LOM_LRT, " NARRATIVE_TEXT ", LOM_LRT + "narrative_text"),
        (LOM_LRT, "problem statement", LOM_LRT + "problem_statement"),
        ("https://w3id.org/kim/hcrt/scheme", "Übung", HCRT + "drill_and_practice"),  # prefLabel@de
        ("https://w3id.org/kim/hcrt/scheme", "ubung", HCRT + "drill_and_practice"),  # accent-insensitive
        ("https://w3id.org/kim/hcrt/scheme", "Étude de cas", HCRT + "case_study"),  # prefLabel@fr
        ("https://w3id.org/kim/hcrt/scheme", "Tonaufnahme", HCRT + "audio"),  # altLabel@de
        (AUDIENCE, "peer_tutor", AUDIENCE + "peerTutor"),  # camelCase local name
        (AUDIENCE, "Peer-Tutor*in", AUDIENCE + "peerTutor"),  # prefLabel@de
        ("http://w3id.org/openeduhub/vocabs/lom_aggregationlevel/", "2", AGGREGATION + "level_2"),  # bindings.ttl
        ("http://w3id.org/openeduhub/vocabs/lom_relation_kind/", "isversionof", RELATION + "isVersionOf"),
        (ACCESS_MODE, "Text on visual", ACCESS_MODE + "textOnVisual"),
        (ACCESS_MODE, "textOnVisual", ACCESS_MODE + "textOnVisual"),
        ("https://w3id.org/kim/educationalLevel/", "Sekundarstufe I", LEVEL + "level_2"),  # altLabel@de
        ("https://w3id.org/kim/educationalLevel/", "ISCED 2011, Level 6", LEVEL + "level_6"),
        (LOM_LRT, "podcast", None),
        (LOM_LRT, "", None),
    ],
)
def test_lookup_ignores_case_accents_and_separators(scheme_iri: str, value: str, expected: str | None) -> None:
    assert v.scheme(scheme_iri).lookup(value) == expected


def test_a_value_two_concepts_claim_goes_to_the_broader_or_to_none(folder: Path) -> None:
    about = v.shared_scheme("about")
    assert about is not None
    # ISCED-F names broad field 01 and narrow field 011 both "Education": the broader claims less
    assert about.lookup("Education") == about.lookup("Pädagogik") == ISCED_F + "01"
    assert about.lookup("011") == ISCED_F + "011"
    twins = (
        '<https://ex.org/shared/four> skos:prefLabel "Eins"@de . <https://ex.org/shared/one> skos:prefLabel "Eins"@de .'
    )
    write(folder, "twins.ttl", twins)
    write(
        folder, "inscheme.ttl", "<https://ex.org/shared/four> a skos:Concept ; skos:inScheme <https://ex.org/shared/> ."
    )
    shared = build_index(folder).scheme("https://ex.org/shared/")
    assert "eins" in shared.ambiguous  # two unrelated concepts say "Eins": neither gets it
    assert shared.lookup("Eins") is None
    assert shared.lookup("one") == "https://ex.org/shared/one"  # its local name outranks labels
    assert shared.lookup("four") == "https://ex.org/shared/four"


def test_for_lom_finds_the_scheme_bound_in_data() -> None:
    context = v.for_lom("educational/context", "LOMv1.0")
    assert context is not None and context.iri == "http://w3id.org/openeduhub/vocabs/lom_educational-context/"
    assert v.for_lom(" educational/Context ", "  lomv1.0\n") is context  # trimmed, case-insensitive
    cost = v.for_lom("rights/cost", "LOMv1.0")
    assert cost is not None and cost.lookup("no") == "http://w3id.org/openeduhub/vocabs/lom_cost/no"
    lom_es = v.for_lom("educational/context", "LOM-ESv1.0")  # a national scheme binds itself the same way
    assert lom_es is not None and lom_es.path.parent.name == "national"
    assert v.for_lom("educational/context", "LOM-FRv9.9") is None
    assert v.for_lom("educational/nonsense", "LOMv1.0") is None


def test_the_lom_crosswalk_scheme_iris_still_resolve() -> None:
    """exchange/crosswalks/lom.py calls scheme(iri).lookup(value) with these IRIs."""
    for name, value in [
        ("lom_learning_resource_type/", "exercise"),
        ("lom_educational-context/", "higher education"),
        ("lom_intended_end_user_role/", "learner"),
        ("lom_interactivity_type/", "expositive"),
    ]:
        iri = "http://w3id.org/openeduhub/vocabs/" + name
        assert v.scheme(iri).lookup(value) == iri + value.replace(" ", "_")
    with pytest.raises(LookupError):
        v.scheme("https://example.org/not-shipped/")


def test_http_and_https_spellings_of_shipped_iris_meet() -> None:
    drifted = "http://w3id.org/kim/conditionsOfAccess/no_login"  # as in the AMB examples
    assert v.canonical(drifted) == "https://w3id.org/kim/conditionsOfAccess/no_login"
    found = v.scheme_of(drifted)
    assert found is not None and found.iri == "https://w3id.org/kim/conditionsOfAccess/"
    assert found.lookup(drifted) == "https://w3id.org/kim/conditionsOfAccess/no_login"
    assert v.shared_concepts(drifted, "conditionsOfAccess") == ["https://w3id.org/kim/conditionsOfAccess/no_login"]
    assert v.labels(drifted)["en"] == "no login required"
    assert v.canonical("http://creativecommons.org/licenses/by/4.0/") == "https://creativecommons.org/licenses/by/4.0/"
    # the OEH LOM schemes are published as http: the https spelling is brought back to it
    assert (
        v.canonical("https://w3id.org/openeduhub/vocabs/lom_cost/no") == "http://w3id.org/openeduhub/vocabs/lom_cost/no"
    )
    assert v.canonical("https://example.org/unknown") == "https://example.org/unknown"
    assert v.scheme_of("https://example.org/unknown") is None


def test_shared_concepts_follow_the_real_mappings_of_the_kim_scheme() -> None:
    # kim_educationalLevel.ttl: level_1 exactMatch eduContext:grundschule (read backwards here)
    assert v.shared_concepts(OEH_CONTEXT + "grundschule", "educationalLevel") == [LEVEL + "level_1"]
    # level_A exactMatch hochschule; level_6..8 broadMatch hochschule must NOT be read backwards
    assert v.shared_concepts(OEH_CONTEXT + "hochschule", "educationalLevel") == [LEVEL + "level_A"]
    # level_A narrowMatch isced-2011:level6 → level6's broad match is level_A; level_6 is its exact match
    assert sorted(v.shared_concepts("https://w3id.org/kim/isced-2011/level6", "educationalLevel")) == [
        LEVEL + "level_6",
        LEVEL + "level_A",
    ]
    assert v.shared_concepts(LEVEL + "level_3", "educationalLevel") == [LEVEL + "level_3"]
    assert v.shared_concepts("http://spdx.org/licenses/CC-BY-SA-4.0", "license") == [
        "https://creativecommons.org/licenses/by-sa/4.0/"
    ]
    assert v.shared_concepts(OEH_CONTEXT + "grundschule", "learningResourceType") == []
    assert v.shared_concepts(OEH_CONTEXT + "grundschule", "no such field") == []


def test_labels_are_pref_labels_by_language() -> None:
    assert v.labels(HCRT + "video")["fr"] == "Vidéo"
    labels = v.labels("https://w3id.org/eduhub/vocab/accessMode/textOnVisual")
    assert set(labels) == LANGUAGES
    assert v.labels("https://example.org/unknown") == {}


# ---------------------------------------------------------------------- mappings and rules, in a folder of our own

SHARED = """
<https://ex.org/shared/> a skos:ConceptScheme ; hub:sharedFor "learningResourceType" .
<https://ex.org/shared/one> a skos:Concept ; skos:inScheme <https://ex.org/shared/> ; skos:prefLabel "One"@en .
<https://ex.org/shared/two> a skos:Concept ; skos:inScheme <https://ex.org/shared/> ; skos:prefLabel "Two"@en .
<https://ex.org/shared/three> a skos:Concept ; skos:inScheme <https://ex.org/shared/> ; skos:prefLabel "Three"@en .
"""
BASE = """
@base <https://ex.org/base/> .
<> a skos:ConceptScheme ; hub:lomSource "LOMv1.0" ; hub:lomElement "educational/learningResourceType" .
<x> a skos:Concept ; skos:prefLabel "Ex"@en .
<y> a skos:Concept ; skos:prefLabel "Why"@en .
"""
NATIONAL = """
@base <http://ex.org/national/> .
<> a skos:ConceptScheme ;
    hub:lomSource "http://ex.org/vdex/types.xml" ; hub:lomElement "educational/learningResourceType" .
<a> a skos:Concept ; skos:notation "a" .
<b> a skos:Concept ; skos:notation "b" .
<c> a skos:Concept ; skos:notation "c" .
<d> a skos:Concept ; skos:notation "d" .
<e> a skos:Concept ; skos:notation "e" .
<f> a skos:Concept ; skos:notation "f" .
<g> a skos:Concept ; skos:notation "g" .
<h> a skos:Concept ; skos:notation "h" .
"""
MAPPING = """
<https://ex.org/mappings/national-to-shared> a hub:MappingSet ; dct:title "test mappings"@en .
<http://ex.org/national/a> skos:exactMatch <https://ex.org/base/x> .     # a → x → one (two steps)
<https://ex.org/base/x> skos:closeMatch <https://ex.org/shared/one> .
<http://ex.org/national/b> skos:narrowMatch <https://ex.org/shared/two> .  # two is narrower: over-claims
<https://ex.org/shared/three> skos:narrowMatch <http://ex.org/national/c> . # c is narrower than three
<http://ex.org/national/d> skos:relatedMatch <https://ex.org/shared/one> . # merely related
<http://ex.org/national/e> skos:exactMatch <http://ex.org/national/f> .   # a cycle without exit
<http://ex.org/national/f> skos:closeMatch <http://ex.org/national/e> .
<http://ex.org/national/g> skos:exactMatch <https://ex.org/base/y> .     # three steps: too far
<https://ex.org/base/y> skos:broadMatch <https://ex.org/other/z> .
<https://ex.org/other/z> skos:exactMatch <https://ex.org/shared/two> .
<https://ex.org/base/x> skos:broadMatch <https://ex.org/shared/two> .
<http://ex.org/national/h> skos:exactMatch <http://ex.org/hub/h> .       # via an external concept,
<https://ex.org/hub/h> skos:closeMatch <https://ex.org/shared/three> .    # spelled both ways
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "vocabularies"
    write(root, "shared.ttl", SHARED)
    write(root, "base.ttl", BASE)
    write(root, "national/ex.ttl", NATIONAL)
    write(root, "mappings/ex.ttl", MAPPING)
    return root


def test_shared_concepts_follow_only_links_that_do_not_over_claim(folder: Path) -> None:
    index = build_index(folder)
    field = "learningResourceType"
    national = "http://ex.org/national/"
    assert index.shared_concepts(national + "a", field) == ["https://ex.org/shared/one", "https://ex.org/shared/two"]
    assert index.shared_concepts("https://ex.org/base/x", field) == [
        "https://ex.org/shared/one",
        "https://ex.org/shared/two",
    ]
    assert index.shared_concepts("https://ex.org/shared/one", field) == ["https://ex.org/shared/one"]
    assert index.shared_concepts(national + "b", field) == []  # forward narrowMatch not followed
    assert index.shared_concepts(national + "c", field) == ["https://ex.org/shared/three"]  # inverse narrowMatch
    assert index.shared_concepts(national + "d", field) == []  # relatedMatch not followed
    assert index.shared_concepts(national + "e", field) == []  # the cycle ends
    assert index.shared_concepts(national + "g", field) == []  # only one intermediate allowed
    assert index.shared_concepts("https://ex.org/national/c", field) == ["https://ex.org/shared/three"]  # drift
    assert index.shared_concepts(national + "h", field) == ["https://ex.org/shared/three"]
    assert index.shared_concepts("https://ex.org/hub/h", field) == ["https://ex.org/shared/three"]


def test_direct_links_win_over_two_step_chains(folder: Path) -> None:
    write(folder, "mappings/direct.ttl", "<http://ex.org/national/a> skos:broadMatch <https://ex.org/shared/three> .")
    assert build_index(folder).shared_concepts("http://ex.org/national/a", "learningResourceType") == [
        "https://ex.org/shared/three"
    ]


def test_a_folder_of_our_own_gets_bindings_graphs_and_relative_iris_right(folder: Path) -> None:
    index = build_index(folder)
    national = index.for_lom("educational/learningResourceType", " HTTP://EX.ORG/vdex/types.xml ")
    assert national is not None and national.iri == "http://ex.org/national/"  # <> resolved against @base
    assert national.lookup("C") == "http://ex.org/national/c"
    assert national.path == folder / "national" / "ex.ttl"
    base = index.for_lom("educational/learningResourceType", "LOMv1.0")
    assert base is not None and base.lookup("why") == "https://ex.org/base/y"  # concepts with no inScheme
    graphs = {file.relative: file.graph for file in index.files}
    assert graphs == {
        "base.ttl": "https://ex.org/base/",
        "mappings/ex.ttl": FILE_GRAPH_BASE + "mappings/ex.ttl",
        "national/ex.ttl": "http://ex.org/national/",
        "shared.ttl": "https://ex.org/shared/",
    }


@pytest.mark.parametrize(
    ("name", "turtle", "message"),
    [
        ("broken.ttl", "<https://ex.org/s> skos:prefLabel 'unterminated .", "not valid Turtle"),
        ("relative.ttl", "<> a skos:ConceptScheme .", "not valid Turtle"),  # no @base
        ("claim.ttl", '<https://ex.org/nowhere/> hub:sharedFor "about" .', "no file declares"),
        (
            "twice.ttl",
            '<https://ex.org/t/> a skos:ConceptScheme ; hub:sharedFor "learningResourceType" .',
            "already has the shared scheme",
        ),
        ("half.ttl", '<https://ex.org/t/> a skos:ConceptScheme ; hub:lomSource "LOMv1.0" .', "needs both"),
        (
            "again.ttl",
            '<https://ex.org/t/> a skos:ConceptScheme ; hub:lomSource "lomv1.0 " ;'
            ' hub:lomElement "educational/learningResourceType" .',
            "is bound to both",
        ),
        ("duplicate.ttl", "<https://ex.org/shared/> a skos:ConceptScheme .", "already declared"),
        ("flag.ttl", '<https://ex.org/shared/one> hub:openLicense "yes" .', "true or false"),
        ("literal.ttl", '<https://ex.org/shared/one> skos:exactMatch "two" .', "must be an IRI"),
    ],
)
def test_a_broken_file_fails_loudly_with_its_path(folder: Path, name: str, turtle: str, message: str) -> None:
    path = write(folder, f"bad/{name}", turtle)
    with pytest.raises(VocabularyError, match=message) as error:
        build_index(folder)
    assert str(path) in str(error.value)


# ---------------------------------------------------------------------- the store


def graph_sizes(hub: Hub) -> dict[str, int]:
    rows = hub.store.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    return {row["g"]: int(row["n"]) for row in rows}


def test_opening_a_hub_loads_every_file_as_a_named_graph(hub: Hub) -> None:
    sizes = graph_sizes(hub)
    for file in v.vocabulary_files():
        assert sizes.get(file.graph) == len({str(t) for t in triples(file.path)}), file.relative
    rows = hub.store.select(
        f"""SELECT ?label WHERE {{ GRAPH <https://w3id.org/kim/hcrt/scheme> {{
            <{HCRT}video> <{SKOS}prefLabel> ?label FILTER(lang(?label) = "fr") }} }}"""
    )
    assert rows == [{"label": "Vidéo"}]
    assert hub.load_vocabularies() == []  # unchanged files are not loaded again


def test_changed_files_reload_and_removed_files_lose_their_graph(hub: Hub, folder: Path) -> None:
    first = hub.load_vocabularies(build_index(folder))
    assert sorted(first) == sorted(f.graph for f in build_index(folder).files)
    assert hub.load_vocabularies(build_index(folder)) == []
    mapping_graph = FILE_GRAPH_BASE + "mappings/ex.ttl"
    assert hub.store.has_graph(mapping_graph)

    write(folder, "shared.ttl", SHARED + '<https://ex.org/shared/four> a skos:Concept ; skos:notation "4" .')
    assert hub.load_vocabularies(build_index(folder)) == ["https://ex.org/shared/"]
    assert graph_sizes(hub)["https://ex.org/shared/"] == len({str(t) for t in triples(folder / "shared.ttl")})

    (folder / "mappings" / "ex.ttl").unlink()
    assert hub.load_vocabularies(build_index(folder)) == []
    assert not hub.store.has_graph(mapping_graph)
    assert hub.store.has_graph("https://ex.org/shared/")
    # the shipped vocabularies were replaced by this folder's: their graphs went too
    assert not hub.store.has_graph("https://w3id.org/kim/hcrt/scheme")
