"""Hostile XML from a source (SYNTHETIC inputs): no entity expansion, no file or network access."""

from __future__ import annotations

from pathlib import Path

from exchange import crosswalks
from harvesters.oaipmh import parse_page
from tests.test_crosswalks import context

PAGE = """<?xml version="1.0"?>
<!DOCTYPE OAI-PMH [
  <!ENTITY secret SYSTEM "file://{path}">
  <!ENTITY lol "lollollollollollollollollollol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2024-01-01T00:00:00Z</responseDate>
<ListRecords><record><header><identifier>oai:x:1</identifier><datestamp>2024-01-01</datestamp></header>
<metadata><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
 xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Title &secret; &lol2;</dc:title></oai_dc:dc></metadata>
</record></ListRecords></OAI-PMH>"""


def test_external_and_internal_entities_are_not_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    page = parse_page(PAGE.format(path=secret).encode(), 1)
    [record] = page.records
    assert record.error is None
    assert "TOP-SECRET-CONTENT" not in record.raw and "lollol" not in record.raw
    hub_record = crosswalks.get("oai_dc").to_record(record.payload, context("oai_dc"))
    title = hub_record["name"]["@none"]
    assert "TOP-SECRET" not in title and "lol" not in title
    assert title.startswith("Title")
