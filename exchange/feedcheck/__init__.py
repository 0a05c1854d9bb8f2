"""The feed checker: how an OAI-PMH feed would fare in the hub, before it joins, storing nothing.

A repository manager (or the hub's operator) names a base URL; :func:`check_feed` asks the
feed what a harvester asks, plus a few requests a harvester should never have to make (bad
verbs, tampered tokens, impossible dates), and reports:

- **protocol conformance**, one check per rule of the OAI-PMH 2.0 specification
  (openarchives.org/OAI/openarchivesprotocol.html; section numbers in the modules are its own):
  the Identify fields, every response against OAI-PMH.xsd (offline, ``schemas/oai/``),
  resumption tokens, ``from``/``until``, the deleted-record policy and the error codes;
- the **metadata formats** offered, which of them the hub reads, and the one it would harvest
  (:func:`exchange.pipeline.choose_prefix`, the harvester's own choice);
- for a **sample** of records in that format: the normal harvest pipeline run into a
  throwaway hub in a temporary folder (crosswalk, validation, quarantine, assessments), read
  back as a report, then deleted with the folder.

Input from the network is hostile (DESIGN.md): XML goes through the hardened parser, schemas
are local, bodies are size-capped, the whole check has a time budget, and the URLs it fetches
can be restricted to public addresses (:mod:`exchange.netguard`; the HTTP API always does,
unless the operator allows private ones).

The modules, in the order of a check (docs/feed-check.md describes every check):

- ``checker``: :func:`check_feed`, the steps in order, the time budget, :func:`exit_status`;
- ``fetch``: the guarded, bounded fetcher and every request and answer (:class:`Exchange`);
- ``identify``: the "Identify" group (§4.2; record headers against it, §2.5.1, §3.3);
- ``responses``: the "Responses" group (POST §3.1.1; every answer: §3.1.2, §3.2, §3.2.1);
- ``schemas``: OAI-PMH.xsd and the payload schemas, offline;
- ``formats``: the "Metadata formats" group (§3.4, §4.4);
- ``lists``: the "Lists and resumption" group (§3.5, §4.5);
- ``probes``: the "Selective harvesting" and "Error handling" groups (§2.7.1, §3.3.1, §3.6);
- ``sample``: the "Sample" group, the sample in a throwaway hub;
- ``report``: the table of checks and the :class:`~exchange.feedcheck.report.Context` the steps share;
- ``render``: the report as plain text;
- ``limits``: the bounds of one check.
"""

from __future__ import annotations

from exchange.feedcheck.checker import check_feed, exit_status, feed_guard, guard_url
from exchange.feedcheck.fetch import OAI, OAI_NS, USER_AGENT, Exchange, Oai
from exchange.feedcheck.limits import (
    DEFAULT_BUDGET,
    DEFAULT_MAX_PAGES,
    DEFAULT_SAMPLE,
    EVIDENCE,
    MAX_BODY,
    MAX_REDIRECTS,
    MAX_SAMPLE,
    PROTOCOL_PAGES,
    REQUEST_TIMEOUT,
)
from exchange.feedcheck.render import evidence_text, render_sample_text, render_text, summary_line, tag_line
from exchange.feedcheck.report import CHECKS, GROUPS, Check, Progress
from exchange.feedcheck.sample import SAMPLE_BASE, SAMPLE_SOURCE, analyse_sample
from exchange.feedcheck.schemas import PAYLOAD_SCHEMAS, SchemaFinding, oai_schema, validate_response
from exchange.netguard import AddressNotAllowed, BadUrl

__all__ = [
    "CHECKS",
    "DEFAULT_BUDGET",
    "DEFAULT_MAX_PAGES",
    "DEFAULT_SAMPLE",
    "EVIDENCE",
    "GROUPS",
    "MAX_BODY",
    "MAX_REDIRECTS",
    "MAX_SAMPLE",
    "OAI",
    "OAI_NS",
    "PAYLOAD_SCHEMAS",
    "PROTOCOL_PAGES",
    "REQUEST_TIMEOUT",
    "SAMPLE_BASE",
    "SAMPLE_SOURCE",
    "USER_AGENT",
    "AddressNotAllowed",
    "BadUrl",
    "Check",
    "Exchange",
    "Oai",
    "Progress",
    "SchemaFinding",
    "analyse_sample",
    "check_feed",
    "evidence_text",
    "exit_status",
    "feed_guard",
    "guard_url",
    "oai_schema",
    "render_sample_text",
    "render_text",
    "summary_line",
    "tag_line",
    "validate_response",
]
