"""LOM-ES v1.0 (Spain, UNE 71361; Agrega, eXeLearning exports) → hub record.

LOM-ES keeps the IEEE binding and extends the vocabularies (source ``LOM-ESv1.0``); its
values are mapped by data (vocabularies/national/, bindings by LOM element and source).
What is left to this profile is recognising the records and naming what it drops.
"""

from __future__ import annotations

from typing import Any, ClassVar

from lxml import etree

from exchange.crosswalks import trace
from exchange.crosswalks.base import register
from exchange.crosswalks.lom import LomCrosswalk, vocabulary, vocabulary_nodes

LOM_ES = "lom-esv1.0"


@register
class LomEsCrosswalk(LomCrosswalk):
    name = "lom-es"
    prefixes: ClassVar[tuple[str, ...]] = ()  # published under the LOM prefixes; found by claims()
    SCHEMAS = ("lom-es",)
    richness = 21
    dropped: ClassVar[dict[str, str]] = {
        **LomCrosswalk.dropped,
        "lom/rights/access": "LOM-ES 6.4 access (universal / non-universal, for users with a login): "
        "no hub property yet; conditionsOfAccess would need a mapping that LOM-ES does not define",
    }

    def vocabulary_value(self, key: str, element_path: str, element: etree._Element) -> list[dict[str, Any]]:
        source, _ = vocabulary(element)
        if element_path == "educational/context" and source.lower() == LOM_ES:
            # LOM-ES 5.6 redefines context as the place or mode of learning (aula, presencial, familia),
            # which is no educational level; the level is given by the curriculum classification.
            for node in vocabulary_nodes(element):
                trace.mark(node, trace.DROPPED, "LOM-ES context is a place or mode of learning, not a level")
            return []
        return super().vocabulary_value(key, element_path, element)
