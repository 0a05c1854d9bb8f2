"""IMS Learning Resource Meta-data 1.2 (the binding LOM grew from) → hub record.

Same information model as IEEE LOM, so this profile only names its namespaces and
prefixes: the base crosswalk already reads ``langstring``, ``catalogentry`` and
``centity/vcard``. Edurep's CZP records (prefix ``lom``) and ARNO's
``imsmd_rootv1p2p1`` come this way.
"""

from __future__ import annotations

from typing import ClassVar

from exchange.crosswalks.base import register
from exchange.crosswalks.lom import LomCrosswalk
from exchange.namespaces import IMSMD_V1P2


@register
class ImsMdCrosswalk(LomCrosswalk):
    name = "imsmd"
    namespaces: ClassVar[tuple[str, ...]] = (
        IMSMD_V1P2,
        "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1",
        "http://www.imsglobal.org/xsd/imsmd_v1p2p2",
        "http://www.imsglobal.org/xsd/imsmd_v1p2p4",
    )
    prefixes: ClassVar[tuple[str, ...]] = ("imsmd_rootv1p2p1", "imsmd_v1p2", "czp")
    richness = 19
