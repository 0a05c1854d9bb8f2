"""HS-OER-LOM (German higher-education OER profile of DINI-AG KIM; ZOERR, OERbw, HOOU, twillo) → hub record.

The profile wraps ``<metadata><lom>`` in its own namespace, uses the IMS-style
``<langstring>`` and lower-case element names (``lifecycle``), and gives learning
resource types as concept IRIs of HCRT (``<id>`` + ``<entry>`` like a taxon) instead of
LOM source/value pairs. Disciplines are Hochschulfächersystematik taxa.
"""

from __future__ import annotations

from typing import Any, ClassVar

from lxml import etree

from exchange.crosswalks.base import register
from exchange.crosswalks.lom import LomCrosswalk, child, joined

HS_OER_LOM = "https://www.oerbw.de/hsoerlom"

Element = etree._Element


@register
class HsOerLomCrosswalk(LomCrosswalk):
    name = "hs-oer-lom"
    namespaces: ClassVar[tuple[str, ...]] = (HS_OER_LOM,)
    prefixes: ClassVar[tuple[str, ...]] = ("hs-oer-lom", "hsoerlom")
    richness = 21
    dropped: ClassVar[dict[str, str]] = {f"metadata/{path}": reason for path, reason in LomCrosswalk.dropped.items()}

    def vocabulary_value(self, key: str, element_path: str, element: Element) -> list[dict[str, Any]]:
        if child(element, "id") is not None:  # HCRT concept as id + entry
            return self.taxon_value(key, element_path, element, joined(child(element, "source")))
        return super().vocabulary_value(key, element_path, element)
