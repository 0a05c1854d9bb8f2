"""Property-based tests (hypothesis) of the two parsers the OAI-PMH provider exposes to anyone.

(a) The argument parser (:func:`exchange.provider.protocol.respond`): for any argument list
(repeated, unknown, empty, huge, any Unicode, surrogates included) it answers, never raises, a
document valid against OAI-PMH.xsd, with badVerb or badArgument exactly when the specification
says so. The oracle, :func:`expected_error`, is written here from the specification, not from
the code: OAI-PMH 2.0 §3.6 (badVerb: the verb missing, repeated or not a verb; badArgument:
illegal or missing arguments, a repeated argument, a value of illegal syntax), §4.1-§4.6 (each
verb's required, optional and exclusive arguments), §2.4 (an identifier is a URI), §3.3
(datestamps ``YYYY-MM-DD`` or ``YYYY-MM-DDThh:mm:ssZ``, both in one granularity), §3.4
(metadataPrefix characters) and §2.7 (setSpec). Where the specification leaves a choice, the
hub's documented one (docs/oai-pmh.md) is the oracle's: ``until`` before ``from`` is badArgument;
an empty value is illegal syntax; so is a value holding a character XML cannot carry (no legal
value holds one, and the response echoes the arguments). badVerb is judged first: which
arguments are legal depends on the verb.

(b) The resumption-token codec (:mod:`exchange.provider.tokens`): any token round-trips;
every single-character change and every truncation of an encoded token is refused with
TokenError; any text is refused with TokenError and nothing else; expiry is honoured.

Derandomized and without an example database, so CI runs the same examples every time.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from datetime import datetime

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from exchange.config import Settings
from exchange.demo.replay import ReplayServer
from exchange.hub import Hub
from exchange.pipeline import harvest
from exchange.provider import tokens
from exchange.provider.protocol import Provider, respond
from exchange.provider.tokens import Token, TokenError
from tests.conftest import OAI_FEEDS
from tests.oai_xsd import problems

OAI = "http://www.openarchives.org/OAI/2.0/"
NS = {"oai": OAI}
PROFILE = settings(derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------------- the specification, as an oracle

#: §4: verb → (required, optional, exclusive) arguments
SPEC: dict[str, tuple[set[str], set[str], set[str]]] = {
    "GetRecord": ({"identifier", "metadataPrefix"}, set(), set()),
    "Identify": (set(), set(), set()),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set"}, {"resumptionToken"}),
    "ListMetadataFormats": (set(), {"identifier"}, set()),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set"}, {"resumptionToken"}),
    "ListSets": (set(), set(), {"resumptionToken"}),
}
ARGUMENTS = ("verb", "identifier", "metadataPrefix", "from", "until", "set", "resumptionToken")
#: §3.4: metadataPrefix is made of URI unreserved characters; §2.7: setSpec, ':'-separated
UNRESERVED = string.ascii_letters + string.digits + "-_.!~*'()"
PREFIX_SYNTAX = re.compile(f"[{re.escape(UNRESERVED)}]+")
SET_SYNTAX = re.compile(f"[{re.escape(UNRESERVED)}]+(:[{re.escape(UNRESERVED)}]+)*")
#: §2.4: an identifier is a URI (RFC 3986 §3: a scheme, ':', then path and query characters, one
#: optional '#' fragment, '%' only as %HH), with the characters RFC 3987 adds beyond ASCII
URI_CHAR = r"(?:[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2}|[^\x00-\x9f])"
URI_SYNTAX = re.compile(rf"[A-Za-z][A-Za-z0-9+.-]*:{URI_CHAR}*(?:#{URI_CHAR}*)?")
#: XML 1.0 §2.2 Char
XML_CHAR = re.compile("[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*")


def _datestamp(value: str) -> str | None:
    """§3.3: the granularity of a valid UTC datestamp ("day" or "second"), None if it is not one."""
    for granularity, pattern, form in (
        ("day", "[0-9]{4}-[0-9]{2}-[0-9]{2}", "%Y-%m-%d"),
        ("second", "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z", "%Y-%m-%dT%H:%M:%SZ"),
    ):
        if re.fullmatch(pattern, value):
            try:
                datetime.strptime(value, form)
            except ValueError:
                return None
            return granularity
    return None


def expected_error(arguments: list[tuple[str, str]]) -> str | None:
    """badVerb, badArgument, or None when the request is neither (§3.6, §4, the hub's choices above)."""
    verbs = [value for key, value in arguments if key == "verb"]
    if len(verbs) != 1 or verbs[0] not in SPEC:
        return "badVerb"
    required, optional, exclusive = SPEC[verbs[0]]
    keys = [key for key, _ in arguments if key != "verb"]
    given_ = dict(arguments)
    del given_["verb"]
    if len(set(keys)) != len(keys) or set(keys) - required - optional - exclusive:
        return "badArgument"
    if any(value == "" or not XML_CHAR.fullmatch(value) for value in given_.values()):
        return "badArgument"
    if exclusive & set(keys):
        return "badArgument" if len(keys) > 1 else None
    if required - set(keys):
        return "badArgument"
    if "identifier" in given_ and not URI_SYNTAX.fullmatch(given_["identifier"]):
        return "badArgument"
    if "metadataPrefix" in given_ and not PREFIX_SYNTAX.fullmatch(given_["metadataPrefix"]):
        return "badArgument"
    if "set" in given_ and not SET_SYNTAX.fullmatch(given_["set"]):
        return "badArgument"
    stamps = {key: _datestamp(given_[key]) for key in ("from", "until") if key in given_}
    if None in stamps.values() or len(set(stamps.values())) > 1:
        return "badArgument"
    if len(stamps) == 2 and given_["until"] < given_["from"]:
        return "badArgument"
    return None


# ---------------------------------------------------------------------- a provider with real records


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    """Edurep harvested twice (the second run deletes records), served in pages of two."""
    settings_ = Settings(data_dir=tmp_path_factory.mktemp("properties") / "hub", base="http://hub.test")
    with ReplayServer([OAI_FEEDS / "edurep"]) as replay, Hub.open(settings_) as hub:
        hub.state.add_source("edurep", replay.url("edurep"))
        assert harvest(hub, "edurep").status == "ok"
        assert harvest(hub, "edurep").status == "ok"
        yield Provider(hub, records_per_page=2, headers_per_page=2)


@pytest.fixture(scope="module")
def known(provider: Provider) -> dict[str, list[str]]:
    """Real values to build requests from: identifiers, set specs, resumption tokens."""

    def texts(arguments: list[tuple[str, str]], path: str) -> list[str]:
        return [node.text for node in etree.fromstring(respond(provider, arguments)).iterfind(path, NS)]

    identifiers = texts([("verb", "ListIdentifiers"), ("metadataPrefix", "oai_dc")], ".//oai:header/oai:identifier")
    found = {
        "identifier": [*identifiers, "oai:hub.test:edurep/none", "oai:elsewhere.org:1"],
        "set": [*texts([("verb", "ListSets")], ".//oai:setSpec")[:5], "source:none"],
        "resumptionToken": [
            token
            for verb in ("ListRecords", "ListIdentifiers")
            for token in texts([("verb", verb), ("metadataPrefix", "lom")], ".//oai:resumptionToken")
        ],
    }
    assert all(found.values()), found
    return found


#: any text at all: controls, surrogates, non-characters
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=20)
DATESTAMPS = st.one_of(
    st.dates().map(lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}"),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")),
    st.sampled_from(["2020-02-30", "2020-13-01", "2020-01-01T24:00:00Z", "2020-01-01T00:00:00", "２０２０-01-01"]),
)


def value_for(key: str, known: dict[str, list[str]]) -> st.SearchStrategy[str]:
    """Mostly plausible values for ``key``, with junk, near misses, empties and huge values mixed in."""
    special = {
        "verb": st.sampled_from([*SPEC, "identify", "ListRecord"]),
        "metadataPrefix": st.sampled_from(["oai_dc", "lom", "eduhub", "marc21", "oai dc"]),
        "from": DATESTAMPS,
        "until": DATESTAMPS,
    }
    plausible = special[key] if key in special else st.sampled_from(known.get(key, ["x"]))
    near = plausible.flatmap(
        lambda value: st.sampled_from([value + "\n", " " + value, value + "\x00", value[:-1], value + value])
    )
    huge = st.tuples(st.text(min_size=1, max_size=3), st.integers(1000, 50_000)).map(lambda pair: pair[0] * pair[1])
    return st.one_of(plausible, plausible, plausible, near, ANY_TEXT, st.just(""), huge)


def argument_lists(known: dict[str, list[str]]) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Well-formed requests of each verb, then the same perturbed, and lists of anything."""
    argument = st.one_of(
        st.sampled_from(ARGUMENTS).flatmap(lambda key: st.tuples(st.just(key), value_for(key, known))),
        st.tuples(ANY_TEXT, ANY_TEXT),
    )

    def well_formed(verb: str) -> st.SearchStrategy[list[tuple[str, str]]]:
        required, optional, exclusive = SPEC[verb]
        if exclusive and verb != "ListSets":
            alone = st.tuples(st.just("resumptionToken"), value_for("resumptionToken", known)).map(lambda a: [a])
        else:
            alone = st.just([])
        chosen = st.fixed_dictionaries(
            {key: value_for(key, known) for key in sorted(required)},
            optional={key: value_for(key, known) for key in sorted(optional)},
        ).map(lambda args: sorted(args.items()))
        return st.one_of(chosen, alone).map(lambda args: [("verb", verb), *args])

    requests = st.sampled_from(sorted(SPEC)).flatmap(well_formed)
    perturbed = st.tuples(requests, st.lists(argument, max_size=2), st.booleans()).map(
        lambda parts: (parts[0] + parts[1]) if parts[2] else (parts[0][1:] + parts[1])
    )
    return st.one_of(requests, requests, perturbed, st.lists(argument, max_size=6)).flatmap(st.permutations)


@settings(PROFILE, max_examples=600)
@given(data=st.data())
def test_any_arguments_get_a_valid_response_with_the_errors_the_spec_asks_for(
    provider: Provider, known: dict[str, list[str]], data: st.DataObject
) -> None:
    arguments = data.draw(argument_lists(known), label="arguments")
    document = respond(provider, arguments)
    root = etree.fromstring(document)
    assert problems(root) == []
    codes = [error.get("code") for error in root.iterfind("oai:error", NS)]
    expected = expected_error(arguments)
    request = root.find("oai:request", NS)
    if expected is not None:
        assert codes == [expected]
        assert dict(request.attrib) == {}  # §3.2: no attributes after badVerb or badArgument
    else:
        assert "badVerb" not in codes and "badArgument" not in codes, codes
        assert dict(request.attrib) == dict(arguments)


@settings(PROFILE, max_examples=100)
@given(data=st.data())
def test_a_well_formed_list_request_pages_or_says_why_not(
    provider: Provider, known: dict[str, list[str]], data: st.DataObject
) -> None:
    """Sanity of the oracle's "neither" branch: such a request gets a list or one of the
    errors §3.6 allows for it, never a protocol error about its form."""
    verb = data.draw(st.sampled_from(["ListRecords", "ListIdentifiers"]))
    prefix = data.draw(st.sampled_from(["oai_dc", "lom", "eduhub"]))
    days = st.dates().map(lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}")
    low, high = sorted(data.draw(st.lists(days, min_size=2, max_size=2)))
    bounds = data.draw(st.lists(st.sampled_from([("from", low), ("until", high)]), unique=True))
    arguments = [("verb", verb), ("metadataPrefix", prefix), *bounds]
    assert expected_error(arguments) is None
    root = etree.fromstring(respond(provider, arguments))
    assert problems(root) == []
    codes = [error.get("code") for error in root.iterfind("oai:error", NS)]
    assert codes in ([], ["noRecordsMatch"])
    assert (root.find(f"oai:{verb}", NS) is not None) == (codes == [])


# ---------------------------------------------------------------------- resumption tokens

SECRET = b"\x01" * 32
ANY_INT = st.integers(min_value=-(2**63), max_value=2**63)
TOKENS = st.builds(
    Token,
    verb=ANY_TEXT,
    metadata_prefix=ANY_TEXT,
    set_spec=st.none() | ANY_TEXT,
    from_=st.none() | ANY_TEXT,
    until=st.none() | ANY_TEXT,
    after=st.tuples(ANY_TEXT, ANY_TEXT),
    cursor=ANY_INT,
    complete=ANY_INT,
    expires=st.integers(min_value=0, max_value=2**40),
)


@settings(PROFILE, max_examples=300)
@given(token=TOKENS, secret=st.binary(min_size=1, max_size=64))
def test_tokens_round_trip(token: Token, secret: bytes) -> None:
    text = tokens.encode(token, secret)
    assert text.isascii() and text.count(".") == 1
    assert tokens.decode(text, secret, now=token.expires) == token


@settings(PROFILE, max_examples=300)
@given(token=TOKENS, data=st.data())
def test_a_changed_character_is_refused(token: Token, data: st.DataObject) -> None:
    text = tokens.encode(token, SECRET)
    at = data.draw(st.integers(0, len(text) - 1), label="at")
    new = data.draw(st.one_of(st.integers(0, 255).map(chr), st.characters(exclude_categories=())), label="new")
    assume(new != text[at])
    with pytest.raises(TokenError):
        tokens.decode(text[:at] + new + text[at + 1 :], SECRET, now=0)


@settings(PROFILE, max_examples=200)
@given(token=TOKENS, data=st.data())
def test_a_truncated_token_is_refused(token: Token, data: st.DataObject) -> None:
    text = tokens.encode(token, SECRET)
    keep = data.draw(st.integers(0, len(text) - 1), label="keep")
    with pytest.raises(TokenError):
        tokens.decode(text[:keep], SECRET, now=0)


@settings(PROFILE, max_examples=500)
@given(
    text=st.one_of(
        st.text(st.characters(exclude_categories=())),
        st.from_regex(r"[A-Za-z0-9_\-=]*\.[A-Za-z0-9_\-=.]*", fullmatch=True),
        st.binary().map(lambda raw: raw.decode("latin-1")),
    ),
)
def test_any_text_is_refused_with_token_error_only(text: str) -> None:
    with pytest.raises(TokenError):
        tokens.decode(text, SECRET, now=0)


@settings(PROFILE, max_examples=200)
@given(token=TOKENS, late=st.integers(min_value=1, max_value=10**9), other=st.binary(min_size=1, max_size=64))
def test_expiry_and_the_secret_are_honoured(token: Token, late: int, other: bytes) -> None:
    text = tokens.encode(token, SECRET)
    assert tokens.decode(text, SECRET, now=token.expires - late) == token
    with pytest.raises(TokenError, match="expired"):
        tokens.decode(text, SECRET, now=token.expires + late)
    assume(other != SECRET)
    with pytest.raises(TokenError):
        tokens.decode(text, other, now=0)


def test_an_expired_token_says_so_even_one_second_late() -> None:
    token = Token("ListRecords", "oai_dc", None, None, None, ("2020-01-01T00:00:00Z", "a/b"), 2, 10, 1_000)
    text = tokens.encode(token, SECRET)
    assert tokens.decode(text, SECRET, now=1_000) == token
    with pytest.raises(TokenError, match="expired"):
        tokens.decode(text, SECRET, now=1_000.5)
