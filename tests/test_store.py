"""The embedded store: atomic page writes, graph replacement, read-only opening, backend registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from exchange.store import GraphWrite, StoreBusy, StoreError, open_store, update_for_page

G1, G2 = "http://hub.test/resources/s/1", "http://hub.test/resources/s/2"


def line(graph: str, value: str) -> str:
    return f'<{graph}> <http://schema.org/name> "{value}" .'


def names(store) -> dict[str, str]:  # type: ignore[no-untyped-def]
    rows = store.select("SELECT ?g ?n WHERE { GRAPH ?g { ?s <http://schema.org/name> ?n } }")
    return {row["g"]: row["n"] for row in rows}


def test_put_replaces_the_whole_graph_and_delete_drops_it(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store")
    store.write_page([GraphWrite(G1, [line(G1, "old"), line(G1, "older")]), GraphWrite(G2, [line(G2, "two")])])
    store.write_page([GraphWrite(G1, [line(G1, "new")])])
    assert names(store) == {G1: "new", G2: "two"}
    store.write_page([], [G2])
    assert names(store) == {G1: "new"}
    assert store.existing_graphs([G1, G2]) == {G1}
    assert store.graphs("http://hub.test/resources/s/") == [G1]


def test_a_page_is_one_transaction(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store")
    store.write_page([GraphWrite(G1, [line(G1, "kept")])])
    broken = GraphWrite(G2, ["<http://hub.test/x> <http://schema.org/name> this is not RDF ."])
    with pytest.raises(SyntaxError):
        store.write_page([GraphWrite(G1, [line(G1, "replacement")]), broken])
    assert names(store) == {G1: "kept"}  # neither the drop nor the insert of the page happened


def test_update_text_for_deletes_only() -> None:
    assert update_for_page([], [G1]) == f"DROP SILENT GRAPH <{G1}>"
    assert update_for_page([], []) == ""


def test_second_writer_is_told_what_to_do_and_readers_still_work(tmp_path: Path) -> None:
    writer = open_store(tmp_path / "store")
    writer.write_page([GraphWrite(G1, [line(G1, "x")])])
    with pytest.raises(StoreBusy, match="eduhub serve"):
        open_store(tmp_path / "store")
    reader = open_store(tmp_path / "store", read_only=True)
    assert names(reader) == {G1: "x"}
    reader.close()
    writer.close()


def test_unknown_backend_kind_fails_loudly(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"unknown store kind 'virtuoso'.*known: oxigraph"):
        open_store("virtuoso://localhost:8890/sparql")
    store = open_store(f"oxigraph:{tmp_path / 'named'}")
    assert (tmp_path / "named").is_dir()
    store.close()


def test_a_put_without_lines_drops_the_graph(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store")
    store.write_page([GraphWrite(G1, [line(G1, "x")])])
    assert store.write_page([GraphWrite(G1, [])]) == {G1}
    assert names(store) == {}
    assert store.write_page([GraphWrite(G1, [])]) == set()  # nothing to drop, nothing sent
