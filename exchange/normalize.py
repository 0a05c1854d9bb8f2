"""Normalization shared by every crosswalk: text, languages, dates, URLs, licences, agents.

Plain functions from source text to the hub's canonical form (BCP 47 tags, ISO 8601
dates, canonical licence URIs, schema.org agents). Each returns None when the text is
not what it should be, so the caller can keep the literal instead of inventing a value.
"""

from __future__ import annotations

import re

from pyoxigraph import NamedNode

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"\s+")
_LINE_PADDING = re.compile(r"[ \t]*\n[ \t]*")
_BLANK_LINES = re.compile(r"\n{3,}")
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
_NO_LANGUAGE = {"", "x-none", "none", "und"}


def clean_line(text: str | None) -> str:
    """One-line text (titles, names, keywords, URLs): control characters out, whitespace collapsed."""
    if not text:
        return ""
    line = " ".join(text.split())
    # isprintable() is a fast C test; only lines that fail it can hold control characters.
    return line if line.isprintable() else " ".join(_CONTROL.sub("", line).split())


def clean_block(text: str | None) -> str:
    """Multi-line text (descriptions): keep paragraph breaks, drop indentation and control characters."""
    if not text:
        return ""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _LINE_PADDING.sub("\n", text)
    text = _BLANK_LINES.sub("\n\n", text)
    return _SPACES_NO_NEWLINE.sub(" ", text).strip()


_SPACES_NO_NEWLINE = re.compile(r"[^\S\n]+")


def language_tag(value: str | None) -> str | None:
    """A BCP 47 tag in canonical case, or None for 'no language' and unreadable values."""
    tag = (value or "").strip()
    if tag.lower() in _NO_LANGUAGE or not _LANGUAGE_TAG.match(tag):
        return None
    parts = tag.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        out.append(part.upper() if len(part) == 2 else part.title() if len(part) == 4 else part.lower())
    return "-".join(out)


_DATE = re.compile(
    r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?$"
)


def iso_date(value: str | None) -> str | None:
    """An ISO 8601 year, year-month, date or date-time, or None if the text is none of these."""
    text = clean_line(value)
    match = _DATE.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    if (month and not 1 <= int(month) <= 12) or (day and not 1 <= int(day) <= 31):
        return None
    out = year + (f"-{month}" if month else "") + (f"-{day}" if day else "")
    if hour:
        out += f"T{hour}:{minute}:{second or '00'}{fraction or ''}"
        if zone:
            out += zone if zone == "Z" or ":" in zone else f"{zone[:3]}:{zone[3:]}"
    return out


_URL = re.compile(r"^https?://[^\s<>\"{}|^`\\]+$")


def web_url(value: str | None) -> str | None:
    """An http(s) URL with surrounding whitespace removed, or None if it is not a valid IRI.

    Checked with the store's own IRI parser (RFC 3987), so a URL used as a node never makes
    the store refuse the record; an invalid one stays available as literal text.
    """
    text = (value or "").strip()
    if not _URL.match(text):
        return None
    try:
        NamedNode(text)
    except ValueError:
        return None
    return text


_CC = re.compile(
    r"https?://(?:www\.)?creativecommons\.org/(licenses|publicdomain)/([a-z][a-z-]*)/(\d\.\d)(?:/([a-z]{2}))?",
    re.IGNORECASE,
)


def licence_uri(text: str | None) -> str | None:
    """The canonical Creative Commons licence URI named in ``text``, if any."""
    match = _CC.search(text or "")
    if not match:
        return None
    kind, code, version, jurisdiction = match.groups()
    uri = f"https://creativecommons.org/{kind.lower()}/{code.lower()}/{version}/"
    return f"{uri}{jurisdiction.lower()}/" if jurisdiction else uri


_VCARD_PROPERTY = re.compile(
    r"(?:^|\s)(BEGIN|END|VERSION|FN|N|ORG|EMAIL|TEL|ADR|URL|NOTE|TITLE|ROLE|UID|SOURCE|LOCATION|X-[A-Z0-9-]+)"
    r"((?:;[^:\s]*)*):",
    re.IGNORECASE,
)
_ORGANIZATION_WORDS = re.compile(
    r"\b(universit\w*|institut\w*|school|schule|college|hochschule|hogeschool|academy|ministr\w*|department|"
    r"library|museum|foundation|association|press|publisher|verlag|[ée]ditions?|cent(?:er|re)|society|consejer[ií]a|"
    r"junta|inc|ltd|gmbh)\b",
    re.IGNORECASE,
)


def looks_like_organization(name: str) -> bool:
    """A guess for names that come without a type (DC creators, vCards with only FN)."""
    return bool(_ORGANIZATION_WORDS.search(name))


def vcard_agent(text: str | None) -> dict[str, str] | None:
    """A schema.org Person or Organization from a LOM vCard, or None if it names nobody.

    Tolerates the vCards of the wild (PROVENANCE.md): folded or not, all on one line,
    empty fields, escaped commas.
    """
    if not text:
        return None
    unfolded = re.sub(r"\r?\n[ \t]", "", text.replace("\r\n", "\n")) if "BEGIN" in text.upper() else text
    fields: dict[str, str] = {}
    matches = list(_VCARD_PROPERTY.finditer(unfolded))
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        end = following.start() if following else len(unfolded)
        key = match.group(1).upper()
        value = clean_line(unfolded[match.end() : end].replace("\\,", ",").replace("\\;", ";"))
        if value and key not in fields:
            fields[key] = value
    name = fields.get("FN") or fields.get("ORG") or clean_line(fields.get("N", "").replace(";", " "))
    if not name:
        return None
    organization = fields.get("ORG", "").strip(" ;")
    personal_name = fields.get("N", "").replace(";", "").strip()
    if organization:
        kind = "Organization" if organization == name else "Person"
    else:
        kind = "Organization" if not personal_name and looks_like_organization(name) else "Person"
    agent = {"type": kind, "name": name}
    email = fields.get("EMAIL")
    if email and "@" in email:
        agent["email"] = email
    return agent
