"""NL-LOM (the Dutch LOM profile, successor of CZP; Edurep, AnatomyTOOL) → hub record.

NL-LOM records come in both bindings: IMS MD 1.2 (``czp:`` in Edurep's ``lom`` feed) and
IEEE (``nl_lom``). AnatomyTOOL's ``nl_lom`` puts unprefixed children of ``<lom:lom>`` in
the OAI-PMH namespace (PROVENANCE.md); elements are matched by local name in any
namespace, so they read the same. Vocabularies are Edurep vdex files named by URL in
``<source>``; they are mapped by data (vocabularies/national/).
"""

from __future__ import annotations

from typing import ClassVar

from exchange.crosswalks.base import register
from exchange.crosswalks.imsmd import ImsMdCrosswalk
from exchange.namespaces import LOM


@register
class NlLomCrosswalk(ImsMdCrosswalk):
    name = "nl-lom"
    namespaces: ClassVar[tuple[str, ...]] = (*ImsMdCrosswalk.namespaces, LOM)
    prefixes: ClassVar[tuple[str, ...]] = ("nl_lom", "nllom")
    SCHEMAS = ("nl_lom", "nl-lom", "czp")
    richness = 21
