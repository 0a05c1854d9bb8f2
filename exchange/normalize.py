"""Normalization shared by every crosswalk: text, languages, dates, URLs, licences, agents.

Plain functions from source text to the hub's canonical form (BCP 47 tags, ISO 8601
dates, canonical licence URIs, schema.org agents). Each returns None when the text is
not what it should be, so the caller can keep the literal instead of inventing a value.
The quirks handled here are the ones met in real records (see the closing notes of
PROVENANCE.md in the shared real data and tests/test_normalize.py, which names the
record each case comes from).
"""

from __future__ import annotations

import hashlib
import quopri
import re
import unicodedata
from collections import OrderedDict
from datetime import date
from functools import lru_cache

from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression
from pyoxigraph import NamedNode

from exchange.languages import DEPRECATED_639_1, ISO639_1, name_to_code

# ---------------------------------------------------------------- text


def _windows_1252(code: int) -> str | None:
    try:
        return bytes([code]).decode("cp1252")
    except UnicodeDecodeError:
        return None


# Characters that are never text: C0 controls that are not whitespace, DEL and a stray
# byte-order mark are dropped. C1 controls (U+0080-U+009F) are in practice Windows-1252
# bytes read as Latin-1 (a Canal-U title has &#x96; for an en dash, an AQUOPS rights text
# &#x92; for an apostrophe), so they become the Windows-1252 character they stood for
# (except U+0085, NEL, which Unicode and str.split() take for a line break).
_NOT_TEXT = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x9f\ufeff]")
_NOT_TEXT_TABLE: dict[int, str | None] = {c: None for c in [*range(0x00, 0x09), *range(0x0E, 0x1C), 0x7F, 0xFEFF]}
_NOT_TEXT_TABLE.update({c: _windows_1252(c) for c in range(0x80, 0xA0)})
_SPACES_NO_NEWLINE = re.compile(r"[^\S\n]+")
_LINE_PADDING = re.compile(r" *\n *")
_BLANK_LINES = re.compile(r"\n{3,}")


def _text_characters(text: str) -> str:
    # The regex scan is a fast C loop; translate() only runs for the rare text that needs it.
    return text.translate(_NOT_TEXT_TABLE) if _NOT_TEXT.search(text) else text


def clean_line(text: str | None) -> str:
    """One-line text (titles, names, keywords, URLs): control characters out, whitespace collapsed."""
    if not text:
        return ""
    line = " ".join(text.split())
    # isprintable() is a fast C test; only lines that fail it can hold control characters.
    return line if line.isprintable() else " ".join(_text_characters(line).split())


def clean_block(text: str | None) -> str:
    """Multi-line text (descriptions): keep paragraph breaks, drop indentation and control characters."""
    if not text:
        return ""
    text = _text_characters(text).replace("\r\n", "\n").replace("\r", "\n")
    text = _LINE_PADDING.sub("\n", _SPACES_NO_NEWLINE.sub(" ", text))
    return _BLANK_LINES.sub("\n\n", text).strip()


def _folded(text: str) -> str:
    """Lower case, accents and punctuation gone (dots kept for versions): for matching free text."""
    text = text.casefold()
    if not text.isascii():  # the common ASCII case skips the per-character accent loop
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.sub(" ", text).split())


_NOT_WORD = re.compile(r"[^a-z0-9.]+")

# ---------------------------------------------------------------- languages

# Language authorities whose IRIs end in an ISO 639 code; ScoLOMFR even puts the LOC IRI in @language.
_LANGUAGE_IRI = re.compile(
    r"https?://(?:www\.)?(?:id\.loc\.gov/vocabulary/(?:iso639-[125]|languages)|lexvo\.org/id/iso639-[1235]"
    r"|publications\.europa\.eu/resource/authority/language|iso639-3\.sil\.org/code)"
    r"/([A-Za-z]{2,3})(?:\.[a-z]+)?/?",
    re.IGNORECASE,
)
# RFC 5646 §2.1: a primary subtag of 2-3 letters (4-8 letter primaries are reserved or
# unassigned), or a private-use ("x-") or grandfathered irregular ("i-") tag.
_LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{1,8})*|[xi](?:-[a-z0-9]{1,8})+")
# "und" (undetermined) and the LOM/IMS "x-none" say nothing; "zxx" (no linguistic content) does.
_NO_LANGUAGE = frozenset({"", "x-none", "none", "und", "other", "n/a", "unknown"})


@lru_cache(maxsize=4096)
def language_tag(value: str | None) -> str | None:
    """A BCP 47 tag in canonical form, or None for 'no language' and unreadable values.

    RFC 5646: the shortest ISO 639 code is the tag (§2.2.1), so three-letter ISO 639-2/B,
    639-2/T and 639-3 codes with a 639-1 equivalent become it ('fre', 'FRE', 'fra' → 'fr');
    subtags get their canonical case (§2.1.1: 'fra-CA' → 'fr-CA', 'zh-hant-tw' → 'zh-Hant-TW');
    ISO 639 IRIs (LOC, Lexvo, EU Publications Office, SIL) and language names ('English',
    'Deutsch') give their code; POSIX locales ('en_US') are read as tags. A list of languages
    ('eng; fre') is not one tag: None. Cached: it runs for every text of every record.
    """
    text = (value or "").strip()
    iri = _LANGUAGE_IRI.fullmatch(text)
    if iri:
        text = iri.group(1)
    elif "://" in text:
        return None
    tag = text.lower().replace("_", "-").partition(".")[0]
    if tag in _NO_LANGUAGE:
        return None
    if not _LANGUAGE_TAG.fullmatch(tag):
        return name_to_code(text)
    return _canonical_tag(tag.split("-"))


def _canonical_tag(subtags: list[str]) -> str:
    primary = subtags[0]
    primary = ISO639_1.get(primary, primary) if len(primary) == 3 else DEPRECATED_639_1.get(primary, primary)
    return subtag_case([primary, *subtags[1:]])


def subtag_case(subtags: list[str]) -> str:
    """Lower-case subtags joined in BCP 47 case: RFC 5646 §2.1.1, regions upper case, scripts
    title case, all else (and anything after a singleton such as "x-") lower case."""
    out = [subtags[0]]
    private = len(subtags[0]) == 1
    for subtag in subtags[1:]:
        private = private or len(subtag) == 1
        if not private and len(subtag) == 2:
            subtag = subtag.upper()
        elif not private and len(subtag) == 4 and subtag.isalpha():
            subtag = subtag.title()
        out.append(subtag)
    return "-".join(out)


# ---------------------------------------------------------------- dates

_ZONE = r"(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)"
# What the hub writes, and most sources send: checked without being rebuilt.
_CANONICAL_DATE = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2}))?)?)?)?"
)
# ISO 8601 extended form, loosely written: one-digit month/day/hour, '/' or '.' between
# year, month and day, a space (or newline) instead of 'T', ',' for the decimal mark.
_EXTENDED_DATE = re.compile(
    r"(\d{4})(?:([-/.])(\d{1,2})(?:\2(\d{1,2})"
    rf"(?:(?:T|\s+)(\d{{1,2}}):(\d{{2}})(?::(\d{{2}})(?:[.,](\d+))?)?\s*{_ZONE}?)?)?)?",
    re.IGNORECASE,
)
# ISO 8601 basic form: 20090105, 20090105T101500Z.
_BASIC_DATE = re.compile(
    rf"(\d{{4}})(\d{{2}})(\d{{2}})(?:T(\d{{2}})(\d{{2}})(?:(\d{{2}})(?:[.,](\d+))?)?{_ZONE}?)?", re.IGNORECASE
)
# Day first with dots (DIN 5008 and most of Europe): 10.09.2022. With '-' or '/' the
# order is ambiguous (04-10-2020: April or October?), so those stay unread.
_DOTTED_DATE = re.compile(r"(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})")
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            "january jan januar janvier januari enero gennaio janeiro jaenner",
            "february feb februar fevrier februari febrero febbraio fevereiro",
            "march mar marz mars maart marzo marco",
            "april apr avril abril aprile",
            "may mai mei mayo maggio maio",
            "june jun juni juin junio giugno junho",
            "july jul juli juillet julio luglio julho",
            "august aug aout augustus agosto",
            "september sep sept septembre septiembre setiembre settembre setembro",
            "october oct oktober octobre octubre ottobre outubro",
            "november nov novembre noviembre novembro",
            "december dec dezember decembre diciembre dicembre dezembro",
        ],
        start=1,
    )
    for name in names.split()
}
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + ")"
# On folded text: "january 2004" (DSpace dc:date), "11. november 2022", "5 de marzo de 2009", "march 5, 2009".
_DAY_MONTH_YEAR = re.compile(rf"(?:(\d{{1,2}})(?:st|nd|rd|th|er)? (?:de )?)?{_MONTH} (?:de )?(\d{{4}})")
_MONTH_DAY_YEAR = re.compile(rf"{_MONTH} (\d{{1,2}})(?:st|nd|rd|th)? (\d{{4}})")


def iso_date(value: str | None) -> str | None:
    """An ISO 8601 year, year-month, date or date-time (zone as ±hh:mm or Z), or None.

    Reads the forms real records use besides strict ISO 8601 (ISO 8601-1:2019 §5.2-5.4):
    padding whitespace and newlines, '2009-1-5', '2009/01/05', basic '20090105', a space
    for 'T', fractional seconds, '+0100' zones, '10.09.2022' and month names ('January
    2004'). Impossible dates (2021-02-30), ambiguous ones (04-10-2020) and free text
    ('spring 2009') give None.
    """
    text = (value or "").strip()
    if not text:
        return None
    match = _CANONICAL_DATE.fullmatch(text)
    if match and _valid_canonical(match):
        return text
    match = _EXTENDED_DATE.fullmatch(text)
    if match:
        year, separator, month, day, *clock = match.groups()
        if separator and separator != "-" and day is None:
            return None  # '2009/10' may be an interval, '2009.1' a version
        return _iso(year, month, day, *clock)
    match = _BASIC_DATE.fullmatch(text)
    if match:
        return _iso(*match.groups())
    match = _DOTTED_DATE.fullmatch(text)
    if match:
        day, month, year = match.groups()
        return _iso(year, month, day)
    return _named_month_date(text)


def _valid_canonical(match: re.Match[str]) -> bool:
    """Whether a date already in the hub's form names a real day and time."""
    year, month, day, hour, minute, second, zone_hours, zone_minutes = match.groups("")
    if year == "0000" or (month and not "01" <= month <= "12"):
        return False
    if day:
        try:
            date(int(year), int(month), int(day))
        except ValueError:
            return False
    if hour and not (hour <= "23" and minute <= "59" and second <= "59"):
        return False
    return not zone_hours or (zone_hours <= "14" and zone_minutes <= "59")


def _named_month_date(text: str) -> str | None:
    folded = " ".join(_folded(text).replace(".", " ").split())
    match = _DAY_MONTH_YEAR.fullmatch(folded)
    if match:
        day, month, year = match.groups()
        return _iso(year, str(_MONTHS[month]), day)
    match = _MONTH_DAY_YEAR.fullmatch(folded)
    if match:
        month, day, year = match.groups()
        return _iso(year, str(_MONTHS[month]), day)
    return None


def _iso(
    year: str,
    month: str | None,
    day: str | None,
    hour: str | None = None,
    minute: str | None = None,
    second: str | None = None,
    fraction: str | None = None,
    zone: str | None = None,
) -> str | None:
    """Assemble and check the parts; None for a date or time that cannot exist."""
    if year == "0000":
        return None
    if month is None:
        return year
    if not 1 <= int(month) <= 12:
        return None
    if day is None:
        return f"{year}-{int(month):02d}"
    try:
        day_ = date(int(year), int(month), int(day))
    except ValueError:
        return None
    out = day_.isoformat()
    if hour is None:
        return out
    if int(hour) > 23 or int(minute or 0) > 59 or int(second or 0) > 59:
        return None
    out += f"T{int(hour):02d}:{minute}:{second or '00'}" + (f".{fraction}" if fraction else "")
    if zone:
        offset = _zone(zone)
        if offset is None:
            return None
        out += offset
    return out


def _zone(zone: str) -> str | None:
    if zone.upper() in ("Z", "UTC", "GMT"):
        return "Z"
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 14 or minutes > 59:
        return None
    return f"{zone[0]}{hours:02d}:{minutes:02d}"


# ---------------------------------------------------------------- URLs

_URL = re.compile(r"https?://[^\s<>\"{}|^`\\]+", re.IGNORECASE)
_WRAPPED = re.compile(r"\S+(?:[ \t]*\n\s*\S+)+")
_AUTHORITY = re.compile(r"https?://[^/?#]*", re.IGNORECASE)


def web_url(value: str | None) -> str | None:
    """An http(s) URL with padding and line wrapping removed, or None if it is not a valid IRI.

    Edurep pads values with a newline and the XML's indentation; a URL broken over lines is
    joined again, but text with ordinary spaces is not a URL. Scheme and host are lower-cased
    (RFC 3986 §6.2.2.1). Checked with the store's own IRI parser (RFC 3987), so a URL used as
    a node never makes the store refuse the record; an invalid one stays available as text.
    """
    text = (value or "").strip()
    if not _URL.fullmatch(text):
        text = _text_characters(text).strip()
        if text.startswith("<") and text.endswith(">"):  # RFC 3986 appendix C delimiters
            text = text[1:-1].strip()
        if _WRAPPED.fullmatch(text.replace("\r", "\n")):
            text = "".join(text.split())
        if not _URL.fullmatch(text):
            return None
    head = text[: text.find("/", 8) % (len(text) + 1)]  # scheme and authority (and maybe more)
    if head != head.lower():
        authority = _AUTHORITY.match(text)
        if authority and "@" not in authority.group(0):  # user info keeps its case
            text = authority.group(0).lower() + text[authority.end() :]
    try:
        NamedNode(text)
    except ValueError:
        return None
    return text


# ---------------------------------------------------------------- licences

_CC = "https://creativecommons.org/"
CC0 = _CC + "publicdomain/zero/1.0/"
PUBLIC_DOMAIN_MARK = _CC + "publicdomain/mark/1.0/"
SPDX = "http://spdx.org/licenses/"
RIGHTS_STATEMENTS = "http://rightsstatements.org/vocab/"

_CC_VERSIONS = frozenset({"1.0", "2.0", "2.1", "2.5", "3.0", "4.0"})
_CC_URL = re.compile(
    r"(?:https?://)?(?:www\.)?creativecommons\.org/(licen[cs]es|publicdomain)/([a-z+-]+)/(\d\.\d)"
    r"(?:/(?!deed|legalcode|rdf)([a-z]{2,8})(?![a-z]))?",
    re.IGNORECASE,
)
_RIGHTS_STATEMENTS_LIST = "InC InC-OW-EU InC-EDU InC-NC InC-RUU NoC-CR NoC-NC NoC-OKLR NoC-US CNE UND NKC"
_RIGHTS_STATEMENT_IDS = {rs.lower(): rs for rs in _RIGHTS_STATEMENTS_LIST.split()}
_RIGHTS_STATEMENT_URL = re.compile(
    r"(?:https?://)?(?:www\.)?rightsstatements\.org/(?:vocab|page|data)/([A-Za-z-]+)/(\d\.\d)", re.IGNORECASE
)
# Licence stewards' own URLs for licences that have an SPDX id.
_GNU_URL = re.compile(r"(?:https?://)?(?:www\.)?gnu\.org/licenses/(agpl|gpl|lgpl|fdl)-?(\d\.\d)", re.IGNORECASE)
_APACHE_URL = re.compile(r"(?:https?://)?(?:www\.)?apache\.org/licenses/LICENSE-(\d\.\d)", re.IGNORECASE)
_SPDX_URL = re.compile(
    r"(?:https?://)?(?:www\.)?(?:spdx\.org/licenses|opensource\.org/licen[cs]es)/"
    r"([A-Za-z0-9][A-Za-z0-9.+-]*?)(?:\.html|\.json|\.php|\.txt)?/?(?=$|[\s\"'<>),;])",
    re.IGNORECASE,
)
_SPDX_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+-]*")

# Creative Commons in words, on folded text. Short forms: 'CC BY-SA 4.0', 'CC-BY-NC-ND-3.0',
# SPDX 'CC-BY-SA-3.0-DE', Edurep's nl_lom values 'cc-by-nc-40'.
_CC_SHORT = re.compile(
    r"\b(?:cc|creative commons)(?: licen[cs]es?)? ((?:by|nc|nd|sa)(?: (?:by|nc|nd|sa))*)\b"
    r"(?: v?(\d)(?:\.(\d)|(\d))\b)?"
)
_CC_ZERO = re.compile(r"\bcc ?(?:0|zero)\b")
_PUBLIC_DOMAIN_MARK = re.compile(r"\b(?:public domain mark|cc pdm|pdm 1.0)\b")
_CC_VERSION = re.compile(r"(?<![\d.])([1-4]\.[05])(?!\d)")
# The licence elements in the languages of the CC legal code translations met in records.
_CC_ELEMENTS = {
    "by": re.compile(
        r"\b(?:attribution|paternite|namensnennung|reconocimiento|naamsvermelding|atribucion|attribuzione"
        r"|atribuicao|reconeixement)\b"
    ),
    "nc": re.compile(
        r"\b(?:non ?commercial|pas d utilisation commerciale|nicht ?kommerziell|no ?comercial|niet ?commercieel"
        r"|non ?commerciale|nao ?comercial)\b"
    ),
    "nd": re.compile(
        r"\b(?:no ?deriv(?:ative)?s?(?: works?)?|pas de modification|keine ?bearbeitung(?:en)?|sin ?obras? ?derivadas?"
        r"|geen ?afgeleide ?werken|non opere derivate|sem ?derivacoes|sense obres derivades)\b"
    ),
    "sa": re.compile(
        r"\b(?:share ?alike|partage (?:dans les memes conditions|des conditions initiales a l identique)"
        r"|weitergabe unter gleichen bedingungen|compartir ?igual|gelijk ?delen|condividi allo stesso modo"
        r"|compartilha ?igual)\b"
    ),
}
# Words that say the element names are Creative Commons ones: 'attribution 4.0' alone could be anything.
_CC_MARKER = re.compile(
    r"\b(?:creative commons|cc|paternite|namensnennung|reconocimiento|naamsvermelding|international|internacional"
    r"|internationaal|unported)\b"
)
# CC 1.0-3.0 jurisdiction ports, by the country names of their titles; 4.0 has none.
_CC_PORTS = {
    "canada": "ca",
    "france": "fr",
    "espana": "es",
    "spain": "es",
    "deutschland": "de",
    "germany": "de",
    "nederland": "nl",
    "netherlands": "nl",
    "belgie": "be",
    "belgique": "be",
    "belgium": "be",
    "schweiz": "ch",
    "suisse": "ch",
    "switzerland": "ch",
    "osterreich": "at",
    "austria": "at",
    "italia": "it",
    "italy": "it",
    "portugal": "pt",
    "brasil": "br",
    "brazil": "br",
    "luxembourg": "lu",
    "united states": "us",
    "england and wales": "uk",
    "england wales": "uk",
    "scotland": "scotland",
    "igo": "igo",
}
_CC_PORT_NAME = re.compile(r"\b(" + "|".join(_CC_PORTS) + r")\b")
_CC_PORT_LIST = (
    "ar at au be bg br ca ch cl cn co cr cz de dk ec ee es fi fr gr gt hk hr hu ie igo il in it jp kr lu mk mt mx my"
    " nl no nz pe ph pl pr pt ro rs scotland se sg si tw th ug uk us ve vn za"
)
_CC_PORT_CODES = frozenset(_CC_PORT_LIST.split())

# Whole texts (folded) that name one licence or rights statement: 'public domain' in the
# languages met, the rightsstatements.org labels, and the SPDX full names of common licences.
_PUBLIC_DOMAIN_NAMES = (
    "public domain|in the public domain|domaine public|dominio publico|gemeinfrei|publiek domein"
    "|pubblico dominio|dominio pubblico"
)
_RIGHTS_STATEMENT_LABELS = {
    "in copyright": "InC",
    "in copyright eu orphan work": "InC-OW-EU",
    "in copyright educational use permitted": "InC-EDU",
    "in copyright non commercial use permitted": "InC-NC",
    "in copyright rights holder s unlocatable or unidentifiable": "InC-RUU",
    "no copyright contractual restrictions": "NoC-CR",
    "no copyright non commercial use only": "NoC-NC",
    "no copyright other known legal restrictions": "NoC-OKLR",
    "no copyright united states": "NoC-US",
    "copyright not evaluated": "CNE",
    "copyright undetermined": "UND",
    "no known copyright": "NKC",
}
_SPDX_NAMES = {
    "Apache-2.0": "apache license 2.0|apache license version 2.0|apache license v2.0|apache 2.0",
    "MIT": "mit license|the mit license",
    "MPL-2.0": "mozilla public license 2.0|mpl 2.0",
    "BSD-3-Clause": "bsd 3 clause license|bsd 3 clause new or revised license|new bsd license",
    "BSD-2-Clause": "bsd 2 clause license|bsd 2 clause simplified license|simplified bsd license",
    "GPL-3.0-only": "gnu general public license v3.0 only",
    "GPL-3.0-or-later": "gnu general public license v3.0 or later",
    "GPL-2.0-only": "gnu general public license v2.0 only",
    "GPL-2.0-or-later": "gnu general public license v2.0 or later",
    "AGPL-3.0-only": "gnu affero general public license v3.0 only",
    "AGPL-3.0-or-later": "gnu affero general public license v3.0 or later",
    "Unlicense": "the unlicense",
}
_NAMED_LICENCES = {
    **dict.fromkeys(_PUBLIC_DOMAIN_NAMES.split("|"), PUBLIC_DOMAIN_MARK),
    **{label: f"{RIGHTS_STATEMENTS}{rs}/1.0/" for label, rs in _RIGHTS_STATEMENT_LABELS.items()},
    **{name: SPDX + spdx_id for spdx_id, names in _SPDX_NAMES.items() for name in names.split("|")},
}


def licence_uri(text: str | None) -> str | None:
    """The canonical URI of the one licence ``text`` names, or None if it names none unambiguously.

    - Creative Commons URLs in any spelling (http/https, www, 'licences', no trailing slash,
      /deed.xx, /legalcode) and names ('CC BY-SA 4.0', 'CC-BY-NC-ND-3.0', 'Creative Commons
      Attribution-ShareAlike 4.0 International', 'Namensnennung - Weitergabe unter gleichen
      Bedingungen 3.0 Deutschland', 'CC0') → https://creativecommons.org/licenses/by-sa/4.0/
      (lower case, https, trailing slash, a 1.0-3.0 jurisdiction port kept as /xx/), CC0 →
      .../publicdomain/zero/1.0/, Public Domain Mark and 'public domain' → .../publicdomain/mark/1.0/.
      A CC licence named without a version ('creative commons: attribution - share alike') is
      None: the versions differ in their terms, and picking one would state terms the source did not.
    - rightsstatements.org URLs and labels → http://rightsstatements.org/vocab/<id>/<version>/.
    - SPDX identifiers ('MIT', 'apache-2.0', 'GPL-3.0-or-later'), licence stewards' URLs
      (gnu.org, apache.org, opensource.org) and the common licence names ('Apache License
      2.0') → the SPDX IRI http://spdx.org/licenses/<id>; GNU URLs do not say "only" or
      "or later", so they give SPDX's version-only id ('GPL-3.0').
    - Anything else ('Creative Commons' alone, 'copyright', 'yes', 'All rights reserved',
      eu-repo access rights) → None.
    """
    if not text:
        return None
    # The same rights texts come with every record of a source; long ones are read, not kept.
    return _cached_licence_uri(text) if len(text) <= _CACHED_LICENCE_SIZE else _licence_uri(text)


_CACHED_LICENCE_SIZE = 1024


def _licence_uri(text: str) -> str | None:
    """Read ``text``; see :func:`licence_uri`."""
    line = clean_line(text)
    if not line:
        return None
    if "/" in line:
        uri = _licence_from_url(line)
        if uri:
            return uri
    folded = _folded(line)
    return _NAMED_LICENCES.get(folded) or _cc_from_words(folded) or _spdx_iri(line)


_cached_licence_uri = lru_cache(maxsize=1024)(_licence_uri)


def _licence_from_url(text: str) -> str | None:
    match = _CC_URL.search(text)
    if match:
        kind, code, version, port = (group.lower() if group else group for group in match.groups())
        if kind == "publicdomain":
            return {"zero": CC0, "mark": PUBLIC_DOMAIN_MARK}.get(code) if version == "1.0" else None
        return _cc_uri(code.split("-"), version, port)
    match = _RIGHTS_STATEMENT_URL.search(text)
    if match and match.group(1).lower() in _RIGHTS_STATEMENT_IDS:
        return f"{RIGHTS_STATEMENTS}{_RIGHTS_STATEMENT_IDS[match.group(1).lower()]}/{match.group(2)}/"
    match = _GNU_URL.search(text)
    if match:
        name, version = match.groups()
        return _spdx_iri(f"{'GFDL' if name.lower() == 'fdl' else name.upper()}-{version}")
    match = _APACHE_URL.search(text)
    if match:
        return _spdx_iri(f"Apache-{match.group(1)}")
    match = _SPDX_URL.search(text)
    return _spdx_iri(match.group(1)) if match else None


def _cc_from_words(folded: str) -> str | None:
    """A CC licence named in words (folded text), if the elements and the version are all there."""
    short = _CC_SHORT.search(folded)
    if short and short.group(2):
        elements, major, minor, minor_no_dot = short.groups()
        rest = folded[short.end() :].split()
        port = rest[0] if len(rest) == 1 and rest[0] in _CC_PORT_CODES else None  # 'CC BY 3.0 DE', not '… de X'
        return _cc_uri(elements.split(), f"{major}.{minor or minor_no_dot}", port or _port_name(folded[short.end() :]))
    if _CC_ZERO.search(folded):
        return CC0
    if _PUBLIC_DOMAIN_MARK.search(folded):
        return PUBLIC_DOMAIN_MARK
    version = _CC_VERSION.search(folded)
    if not version or not _CC_MARKER.search(folded):
        return None
    elements = [element for element, words in _CC_ELEMENTS.items() if words.search(folded)]
    return _cc_uri(elements, version.group(1), _port_name(folded[version.end() :])) if elements else None


def _port_name(text: str) -> str | None:
    match = _CC_PORT_NAME.search(text)
    return _CC_PORTS[match.group(1)] if match else None


def _cc_uri(elements: list[str], version: str, port: str | None) -> str | None:
    """https://creativecommons.org/licenses/<elements>/<version>/[<port>/] if such a licence exists."""
    chosen = set(elements)
    if (
        version not in _CC_VERSIONS
        or not chosen <= {"by", "nc", "nd", "sa"}
        or {"nd", "sa"} <= chosen
        or ("by" not in chosen and version != "1.0")  # BY is part of every licence since 2.0
    ):
        return None
    order = ("by", "nd", "nc", "sa") if version == "1.0" else ("by", "nc", "nd", "sa")  # as in CC's own URLs
    uri = f"{_CC}licenses/{'-'.join(e for e in order if e in chosen)}/{version}/"
    return f"{uri}{port}/" if port and version != "4.0" else uri


def _spdx_iri(text: str) -> str | None:
    """The SPDX IRI of one SPDX licence id (any case); CC ids go to their CC URI instead."""
    if not _SPDX_ID.fullmatch(text) or text.lower().startswith("licenseref-"):
        return None
    try:
        spdx_id = canonicalize_license_expression(text)
    except InvalidLicenseExpression:
        return None
    if spdx_id.endswith("+"):  # the deprecated 'or later' operator: SPDX ids spell it out now
        try:
            spdx_id = canonicalize_license_expression(spdx_id[:-1] + "-or-later")
        except InvalidLicenseExpression:
            return None
    if spdx_id.startswith("CC"):
        return _cc_from_words(_folded(spdx_id)) or SPDX + spdx_id  # CC-PDDC has no CC URI of its own
    return SPDX + spdx_id


# ---------------------------------------------------------------- agents

# Words that name organizations in the languages met; stems match any word they begin.
_ORGANIZATION_WORD_LIST = (
    "iut school schule école ecole escuela colegio college collège cégep cegep lycée lycee hochschule hogeschool"
    " akademie academy department département departement departamento dept commission kommission comisión"
    " comision dirección direccion consejería consejeria junta gobierno regierung gemeente library bibliotheek"
    " biblioteca museum musée musee foundation fondation stiftung stichting fundación fundacion association"
    " verein vereniging society press publisher verlag édition éditions edition editions editorial center"
    " centre centrum hospital krankenhaus réseau reseau network inc ltd gmbh corp corporation company"
)
_ORGANIZATION_WORDS = frozenset(_ORGANIZATION_WORD_LIST.split())
_ORGANIZATION_STEMS = (
    "universit",
    "universidad",
    "institut",
    "académ",
    "academ",
    "ministr",
    "ministèr",
    "minister",
    "ministér",
    "bibliothè",
    "bibliothe",
    "klinik",
)
_WORD_SEPARATORS = str.maketrans(".,;:()/&-–'’", "            ")


def looks_like_organization(name: str) -> bool:
    """A guess for names that come without a type (DC creators, vCards with only FN)."""
    return any(
        word in _ORGANIZATION_WORDS or word.startswith(_ORGANIZATION_STEMS)
        for word in name.casefold().translate(_WORD_SEPARATORS).split()
    )


# vCard property names (RFC 2426, RFC 6350); on an indented line only these start a property.
_VCARD_NAME_LIST = (
    "BEGIN END VERSION FN N NICKNAME PHOTO BDAY ANNIVERSARY GENDER ADR LABEL TEL EMAIL MAILER IMPP LANG TZ GEO"
    " TITLE ROLE LOGO ORG MEMBER RELATED CATEGORIES NOTE PRODID REV SORT-STRING SOUND UID CLIENTPIDMAP URL KEY"
    " FBURL CALADRURI CALURI SOURCE KIND XML NAME PROFILE CLASS AGENT"
)
_VCARD_NAMES = frozenset(_VCARD_NAME_LIST.split())
_VCARD_WANTED = frozenset({"FN", "N", "ORG", "EMAIL", "KIND", "URL"})
_VCARD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_VCARD_GROUP_AND_NAME = re.compile(r"[A-Za-z0-9-]+\.([A-Za-z][A-Za-z0-9-]*)")  # 'item1.EMAIL' (RFC 6350 §3.3)
_VCARD_SEPARATOR = re.compile(r"(?<!\\);")
_VCARD_ESCAPE = re.compile(r"\\(.)")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# Values that fill a required field without naming anyone (LOM-CH: ORG:default;;).
_PLACEHOLDERS = frozenset({"default", "n/a", "n.a.", "unknown", "none", "null", "-"})
# Person and organization identifiers in vCard URLs (HS-OER-LOM puts ORCID, ROR and Wikidata
# there), in order of preference, with the base of their canonical form.
_AGENT_IDS = (
    (
        re.compile(r"https?://(?:www\.)?orcid\.org/(\d{4}-\d{4}-\d{4}-\d{3}[\dX])/?", re.IGNORECASE),
        "https://orcid.org/",
    ),
    (re.compile(r"https?://(?:www\.)?ror\.org/(0[a-z0-9]{8})/?", re.IGNORECASE), "https://ror.org/"),
    (re.compile(r"https?://d-nb\.info/gnd/([0-9X-]+)/?", re.IGNORECASE), "https://d-nb.info/gnd/"),
    (
        re.compile(r"https?://(?:www\.)?wikidata\.org/(?:entity|wiki)/(Q\d+)/?", re.IGNORECASE),
        "http://www.wikidata.org/entity/",
    ),
)

#: property name → [(parameters, value as written)], for the properties the hub reads
VCardProperties = dict[str, list[tuple[str, str]]]


def vcard_agent(text: str | None) -> dict[str, str] | None:
    """A schema.org Person or Organization from a LOM vCard (RFC 2426/6350), or None if it names nobody.

    Tolerates the vCards of the wild (PROVENANCE.md): CRLF or LF, folded lines (RFC 6350
    §3.2), XML indentation before every line, everything on one line, empty fields,
    ENCODING/CHARSET/LANGUAGE parameters, quoted-printable values (vCard 2.1), escaped
    commas and semicolons, N or ORG without FN, placeholders ('default'), and inline
    PHOTO/LOGO data (skipped, never decoded). The type comes from KIND (vCard 4), else
    from the fields: a structured N (family and given name) makes a Person, a name that is
    the ORG, or only an ORG, makes an Organization, else :func:`looks_like_organization`
    guesses. ORCID, ROR, GND and Wikidata URLs become the agent's ``id``; the preferred
    valid e-mail address its ``email``. Cached: the same publisher vCard comes again and again.
    """
    if not text:
        return None
    # vCards with inline PHOTO/LOGO data can be tens of kB: cached by digest, not by the text itself.
    agent = _cached_vcard_agent(text) if len(text) <= _CACHED_VCARD_SIZE else _large_vcard_agent(text)
    return dict(agent) if agent else None


_CACHED_VCARD_SIZE = 4096
_LARGE_VCARDS: OrderedDict[bytes, tuple[tuple[str, str], ...] | None] = OrderedDict()
_LARGE_VCARDS_KEPT = 128


def _large_vcard_agent(text: str) -> tuple[tuple[str, str], ...] | None:
    """The same logo-carrying vCard comes with every record of a publisher: parse it once."""
    key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    if key in _LARGE_VCARDS:
        _LARGE_VCARDS.move_to_end(key)
        return _LARGE_VCARDS[key]
    agent = _LARGE_VCARDS[key] = _vcard_agent(text)
    if len(_LARGE_VCARDS) > _LARGE_VCARDS_KEPT:
        _LARGE_VCARDS.popitem(last=False)
    return agent


def _vcard_agent(text: str) -> tuple[tuple[str, str], ...] | None:
    stripped = text.strip()
    one_line = "\n" not in stripped and "\r" not in stripped
    properties = _vcard_inline(stripped) if one_line else _vcard_lines(stripped)
    agent = _agent(properties)
    return tuple(agent.items()) if agent else None


_cached_vcard_agent = lru_cache(maxsize=1024)(_vcard_agent)


def _vcard_lines(text: str) -> VCardProperties:
    """Content lines, unfolded, of the properties the hub reads."""
    properties: VCardProperties = {name: [] for name in _VCARD_WANTED}
    kept: list[tuple[str, str, list[str]]] = []
    parts: list[str] | None = None  # the value being unfolded, if it is one we keep
    quoted_printable = False
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line or line.isspace():
            continue
        indented = line[0] in " \t"
        content = line.lstrip() if indented else line
        head, colon, rest = content.partition(":")
        name, _, parameters = head.partition(";")
        key = _property_name(name, indented) if colon else ""
        if key:
            parts = None
            if key in _VCARD_WANTED:
                parts = [rest]
                quoted_printable = "QUOTED-PRINTABLE" in parameters.upper()
                kept.append((key, parameters, parts))
        elif parts is not None and indented:
            parts.append(line[1:])  # RFC 6350 §3.2: a line break and one space or tab are removed
        elif parts is not None and quoted_printable and parts[-1].endswith("="):
            parts[-1] = parts[-1][:-1]  # vCard 2.1 quoted-printable soft line break
            parts.append(line)
    for key, parameters, value in kept:
        properties[key].append((parameters, "".join(value)))
    return properties


def _property_name(name: str, indented: bool) -> str:
    """The upper-case property name, or "" if ``name`` does not start a property.

    An indented line starts one only if it names a known property (XML indentation before
    every line, as in Edurep); otherwise it continues the value before it (a folded line,
    base64 PHOTO data, a folded URL whose next part holds a colon).
    """
    if _VCARD_NAME.fullmatch(name):
        key = name.upper()
    else:
        grouped = None if indented else _VCARD_GROUP_AND_NAME.fullmatch(name)
        if not grouped:
            return ""
        key = grouped.group(1).upper()
    return key if not indented or key in _VCARD_NAMES or key.startswith("X-") else ""


def _vcard_inline(text: str) -> VCardProperties:
    """Properties of a vCard written on one line (eXeLearning): one starts at each known 'NAME:' word."""
    starts: list[tuple[int, int, str, str]] = []  # (start of the name, start of the value, name, parameters)
    colon = text.find(":")
    while colon != -1:  # only the colons are looked at, not every character
        word = text.rfind(" ", 0, colon) + 1
        name, _, parameters = text[word:colon].partition(";")
        key = name.upper()
        if key in _VCARD_NAMES or key.startswith("X-"):
            starts.append((word, colon + 1, key, parameters))
        colon = text.find(":", colon + 1)
    properties: VCardProperties = {name: [] for name in _VCARD_WANTED}
    for index, (_, value, key, parameters) in enumerate(starts):
        if key in _VCARD_WANTED:
            end = starts[index + 1][0] if index + 1 < len(starts) else len(text)
            properties[key].append((parameters, text[value:end]))
    return properties


def _decoded(parameters: str, value: str) -> str:
    """A quoted-printable value decoded with its CHARSET (vCard 2.1); others as they are."""
    if not parameters or "QUOTED-PRINTABLE" not in parameters.upper():
        return value
    charset = re.search(r"CHARSET=([A-Za-z0-9_-]+)", parameters, re.IGNORECASE)
    data = quopri.decodestring(value.encode("utf-8"))
    try:
        return data.decode(charset.group(1) if charset else "utf-8")
    except (LookupError, UnicodeDecodeError):
        return data.decode("latin-1")


def _components(parameters: str, value: str) -> list[str]:
    """A structured value (N, ORG) split at unescaped ';', unescaped and cleaned (RFC 6350 §3.4)."""
    value = _decoded(parameters, value)
    parts = _VCARD_SEPARATOR.split(value) if "\\" in value else value.split(";")
    return [_unescaped(part) if part else "" for part in parts]


def _unescaped(value: str) -> str:
    if "\\" in value:  # RFC 6350 §3.4: \, \; \: \\ and \n (a line break)
        value = _VCARD_ESCAPE.sub(lambda m: " " if m.group(1) in "nN" else m.group(1), value)
    value = clean_line(value).strip(" ,;")
    return "" if value.lower() in _PLACEHOLDERS else value


def _first(properties: VCardProperties, key: str) -> list[str]:
    """The components of the first ``key`` property that says anything."""
    for parameters, value in properties[key]:
        components = _components(parameters, value)
        if any(components):
            return components
    return []


def _agent(properties: VCardProperties) -> dict[str, str] | None:
    # FN is one text value; some producers leave its ';' unescaped (SupLOMFR 'Antoine Toma;Antoine').
    formatted = next((c for c in _first(properties, "FN") if c), "")
    family, given, additional, prefix, suffix = [*_first(properties, "N"), "", "", "", "", ""][:5]
    organization = ", ".join(c for c in _first(properties, "ORG") if c)
    structured = " ".join(p for p in (prefix, given, additional, family) if p) + (f", {suffix}" if suffix else "")
    name = formatted or structured or organization
    if not name:
        return None
    kind = next(iter(_first(properties, "KIND")), "").lower()
    if kind in ("org", "organization", "group"):
        agent_type = "Organization"
    elif kind == "individual" or (family and given):
        agent_type = "Person"
    elif name.casefold() == organization.casefold() or looks_like_organization(name):
        agent_type = "Organization"
    else:
        agent_type = "Person"
    agent = {"type": agent_type, "name": name}
    identifier = _agent_id(properties["URL"])
    if identifier:
        agent["id"] = identifier
    email = _email(properties["EMAIL"])
    if email:
        agent["email"] = email
    return agent


def _agent_id(values: list[tuple[str, str]]) -> str | None:
    urls = [_unescaped(_decoded(parameters, value)) for parameters, value in values]
    for pattern, base in _AGENT_IDS:
        for url in urls:
            match = pattern.fullmatch(url)
            if match:
                return base + match.group(1)
    return None


def _email(values: list[tuple[str, str]]) -> str | None:
    """The preferred (PREF) valid e-mail address, else the first valid one; 'mailto:' dropped."""
    addresses = []
    for parameters, value in values:
        address = _unescaped(_decoded(parameters, value)).removeprefix("mailto:").strip()
        if _EMAIL.fullmatch(address):
            addresses.append((0 if "PREF" in parameters.upper() else 1, len(addresses), address))
    return min(addresses)[2] if addresses else None


_PLACEHOLDERS = frozenset(
    {
        "",
        "-",
        "--",
        "?",
        "n/a",
        "na",
        "none",
        "null",
        "unknown",
        "default",
        "not applicable",
        "non applicable",
        "non disponible",
        "inconnu",
        "unbekannt",
        "keine angabe",
        "onbekend",
        "desconocido",
        "no disponible",
    }
)


def is_placeholder(text: str | None) -> bool:
    """Text that fills a field without saying anything ("n/a", "Non disponible", "unbekannt")."""
    return clean_line(text).strip(" .").casefold() in _PLACEHOLDERS


_SIZE = re.compile(r"^(\d+(?:[.,]\d+)?)\s*([kmgt]i?b|bytes?|octets?|o|b)?$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "b": 1, "o": 1, "byte": 1, "bytes": 1, "octet": 1, "octets": 1}
for _index, _prefix in enumerate("kmgt", start=1):
    _SIZE_UNITS[f"{_prefix}b"] = 1000**_index
    _SIZE_UNITS[f"{_prefix}ib"] = 1024**_index


def byte_size(text: str | None) -> int | None:
    """A size in bytes from "45061194" (LOM technical.size), "14 MB", "1,5 GB", "300 KiB"; else None."""
    match = _SIZE.match(clean_line(text))
    if not match:
        return None
    number, unit = match.groups()
    factor = _SIZE_UNITS.get((unit or "").lower())
    if factor is None:
        return None
    return round(float(number.replace(",", ".")) * factor)
