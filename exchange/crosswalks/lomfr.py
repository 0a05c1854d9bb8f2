"""LOM-FR, ScoLOMFR and SupLOMFR (France) → hub record.

The French profiles keep the IEEE binding and add elements in their own namespaces
(``lomfr:documentType``, ``scolomfr:generalResourceType``, educational activity, place,
tool …). ScoLOMFR writes vocabulary values as concept IRIs of data.education.fr with a
human ``<label>`` beside ``<value>``, for the LOM base vocabularies too
(``…/concept/author``, ``…/concept/no``); :meth:`token` turns those back into LOMv1.0
tokens so roles, cost and purposes read as in plain LOM.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from lxml import etree

from exchange.crosswalks import trace
from exchange.crosswalks.base import register
from exchange.crosswalks.concepts import add_concepts, controlled_value
from exchange.crosswalks.lom import LomCrosswalk, child, children, vocabulary, vocabulary_nodes
from exchange.model import Record
from exchange.normalize import clean_line

Element = etree._Element

SCOLOMFR_CONCEPT = "http://data.education.fr/voc/scolomfr/concept/"
_NUMBERED = re.compile(r"_\d+$")  # ScoLOMFR disambiguates repeated tokens: yes_2, no_3


@register
class LomFrCrosswalk(LomCrosswalk):
    name = "lomfr"
    prefixes: ClassVar[tuple[str, ...]] = ()  # published under the LOM prefixes; found by claims()
    SCHEMAS = ("lomfr", "scolomfr", "suplomfr")
    richness = 21

    #: ScoLOMFR classification purposes (vocabulary scolomfr-voc-028) that are not LOMv1.0 tokens
    PURPOSE_CONCEPTS: ClassVar[dict[str, str | None]] = {
        SCOLOMFR_CONCEPT + "scolomfr-voc-028-num-003": "about",  # domaine d'enseignement
        SCOLOMFR_CONCEPT + "educational_level": "educationalLevel",  # niveau éducatif détaillé
        SCOLOMFR_CONCEPT + "scolomfr-voc-028-num-013": "qualityLabel",  # label: a quality-assurance label
    }
    _EXTENSION = "ScoLOMFR/LOM-FR extension not in the hub model: "
    dropped: ClassVar[dict[str, str]] = {
        **LomCrosswalk.dropped,
        "lom/educational/activity": _EXTENSION + "learning activity",
        "lom/educational/place": _EXTENSION + "place of learning",
        "lom/educational/tool": _EXTENSION + "tool used",
        "lom/educational/educationalmethod": _EXTENSION + "teaching method",
        "lom/educational/credit": _EXTENSION + "credits (ECTS)",
        "lom/technical/extendedlocation": _EXTENSION + "access conditions of a location",
        "lom/classification/purpose/label": "label of the purpose, read with its value",
    }

    def token(self, element: Element | None) -> str:
        source, value = vocabulary(element)
        trace.mark(child(element, "label"))
        del source
        if value.startswith(SCOLOMFR_CONCEPT):
            local = value[len(SCOLOMFR_CONCEPT) :]
            if not local.startswith("scolomfr-voc"):
                return _NUMBERED.sub("", local).replace("_", " ").lower()
        return value.lower()

    def classification_field(self, purpose: Element | None) -> str | None:
        _, value = vocabulary(purpose)
        if value in self.PURPOSE_CONCEPTS:
            return self.PURPOSE_CONCEPTS[value]
        return super().classification_field(purpose)

    def vocabulary_value(self, key: str, element_path: str, element: Element) -> list[dict[str, Any]]:
        source, value = vocabulary(element)
        label = clean_line("".join(child(element, "label").itertext())) if child(element, "label") is not None else ""
        trace.mark(child(element, "label"))
        labels = {"fr": label} if label else None
        return controlled_value(
            key, value, source=source, lom_element=element_path, labels=labels, nodes=vocabulary_nodes(element)
        )

    def general(self, record: Record, general: Element | None) -> None:
        super().general(record, general)
        # ScoLOMFR 1.10 general resource type and LOM-FR 1.10 document type (DCMI Type) are resource types.
        for name in ("generalResourceType", "documentType"):
            for element in children(general, name):
                add_concepts(
                    record,
                    "learningResourceType",
                    self.vocabulary_value("learningResourceType", f"general/{name}", element),
                )
