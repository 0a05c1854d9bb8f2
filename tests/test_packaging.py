"""`pip install .` must give a working hub, not only an editable checkout: build the wheel
offline, install it alone into a folder, and run the demo harvest from it."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_data_folders_and_runs_the_demo_harvest(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    [wheel] = wheels.glob("eduhub_exchange-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "exchange/_data/schemas/hub-record.schema.json",
        "exchange/_data/schemas/contexts/amb-context.jsonld",  # the JSON-LD context cache (exchange/jsonld_contexts.py)
        "exchange/_data/vocabularies/lom_learning_resource_type.ttl",
        "exchange/demo/feeds/edurep/manifest.json",
        "exchange/demo/feeds/mit-ems/listrecords_oai_dc.xml",
        "harvesters/oaipmh.py",
    ):
        assert expected in names
    assert not any(name.startswith("tests/") for name in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "eduhub = exchange.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()

    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        text=True,
    )
    # Run from elsewhere with the installed copy first on the path: the checkout is not used.
    script = (
        "import exchange, exchange.resources as r, sys; "
        f"assert exchange.__file__.startswith({str(target)!r}), exchange.__file__; "
        "print(r.data_dir('schemas')); "
        "from exchange.cli import main; sys.exit(main(['demo', '--no-serve']))"
    )
    env = {**os.environ, "PYTHONPATH": str(target), "EDUHUB_DATA": str(tmp_path / "demo")}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == str(target / "exchange" / "_data" / "schemas")
    assert "69 learning resources" in result.stdout
