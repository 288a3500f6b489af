"""Seed loading: an empty database gets the seed library once; the real personas/ folder validates."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlmodel import Session

from stepaudio_ui.bootstrap import seed_if_empty
from stepaudio_ui.exchange.formats import ImportProblem, export_item
from stepaudio_ui.package_data import packaged_folder
from stepaudio_ui.studio import library as studio
from tests.store.examples import persona_spec, scene_spec

REAL_SEED_DIR = packaged_folder("seeds")


def _write_seed_dir(root: Path, session: Session) -> Path:
    """Make seed files with the exporter itself, in a scratch database, then empty that database."""
    for kind, spec in (("persona", persona_spec("Nova")), ("persona", persona_spec("Sam")), ("scene", scene_spec())):
        view = studio.create_item(session, kind=kind, spec=spec, author="seed")  # type: ignore[arg-type]
        folder = root / ("personas" if kind == "persona" else "scenes")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{view.slug}.json").write_text(json.dumps(export_item(session, kind=kind, slug=view.slug)))  # type: ignore[arg-type]
    return root


def test_seed_loads_once(tmp_path: Path, session: Session) -> None:
    from stepaudio_ui.studio.store import Database

    seed_dir = _write_seed_dir(tmp_path / "seed", session)
    fresh = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    fresh.migrate()
    with fresh.session() as s:
        assert seed_if_empty(s, seed_dir) == 3
        assert seed_if_empty(s, seed_dir) == 0  # idempotent
        assert sorted(i.slug for i in studio.list_items(s, kind="persona")) == ["nova", "sam"]
        assert studio.count_items(s, kind="scene") == 1
    fresh.dispose()


def test_seed_is_skipped_when_anything_exists(tmp_path: Path, session: Session) -> None:
    seed_dir = _write_seed_dir(tmp_path / "seed", session)
    assert seed_if_empty(session, seed_dir) == 0  # the scratch items are there


def test_a_bad_seed_file_names_the_file_and_loads_nothing(tmp_path: Path, session: Session) -> None:
    seed_dir = tmp_path / "seed"
    (seed_dir / "personas").mkdir(parents=True)
    good = {"format": "stepaudio-persona", "format_version": 1, "slug": "ok",
            "versions": [{"number": 1, "spec": persona_spec().model_dump(mode="json")}]}  # fmt: skip
    (seed_dir / "personas" / "ok.json").write_text(json.dumps(good))
    (seed_dir / "personas" / "typo.json").write_text(json.dumps({**good, "slug": "typo", "archivd": True}))
    with pytest.raises(ImportProblem, match=r"typo\.json does not match the export schema: archivd"):
        seed_if_empty(session, seed_dir)
    assert studio.count_items(session, kind="persona") == 0


def test_missing_seed_dir_loads_nothing(tmp_path: Path, session: Session) -> None:
    assert seed_if_empty(session, tmp_path / "nowhere") == 0


@pytest.mark.skipif(not REAL_SEED_DIR.is_dir(), reason="no personas/ folder in this checkout")
def test_the_real_seed_library_validates_and_loads(tmp_path: Path, session: Session) -> None:
    seed_dir = tmp_path / "personas"
    shutil.copytree(REAL_SEED_DIR, seed_dir)
    files = sorted(seed_dir.glob("personas/*.json")) + sorted(seed_dir.glob("scenes/*.json"))
    loaded = seed_if_empty(session, seed_dir)
    assert loaded == len(files) > 0
    for kind in ("persona", "scene"):
        for item in studio.list_items(session, kind=kind, include_archived=True, limit=500):  # type: ignore[arg-type]
            assert studio.get_default_version(session, kind=kind, slug=item.slug).spec.name == item.name  # type: ignore[arg-type]
