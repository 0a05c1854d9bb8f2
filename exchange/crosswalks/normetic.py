"""Normetic 1.1/1.2 (Québec, CanCore lineage; Eureka, AQUOPS) and RESPEL (Wallonia-Brussels) → hub record.

Normetic keeps the IEEE binding; its vocabularies are vdex files on eureka.ntic.org named
in ``<source>`` and mapped by data. Records declare ``NORMETICv1.x`` (or "NORMETIC version
1.1") as metadataSchema; RESPEL records declare none but use the same Eureka vocabularies,
so they are recognised by their sources.
"""

from __future__ import annotations

from typing import ClassVar

from lxml import etree

from exchange.crosswalks.base import CrosswalkError, register
from exchange.crosswalks.lom import LomCrosswalk

EUREKA_VDEX = "eureka.ntic.org/vdex/"


@register
class NormeticCrosswalk(LomCrosswalk):
    name = "normetic"
    prefixes: ClassVar[tuple[str, ...]] = ()  # published under the LOM prefixes; found by claims()
    SCHEMAS = ("normetic",)
    richness = 21

    def claims(self, payload: etree._Element) -> bool:
        if super().claims(payload):
            return True
        try:
            lom = self.lom_root(payload)
        except CrosswalkError:
            return False
        return any(EUREKA_VDEX in (source.xpath("string()") or "") for source in lom.iter("{*}source"))
