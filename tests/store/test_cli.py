"""The `stepaudio-ui` command through main([...]) on a temporary data directory."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from stepaudio_ui.cli import main
from stepaudio_ui.studio.store import head_revision
from tests.store.examples import persona_spec, scene_spec


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data dir and a seed dir of one persona and one scene, from the environment like in production."""
    seed = tmp_path / "seed"
    for folder, fmt, slug, spec in (
        ("personas", "stepaudio-persona", "nova", persona_spec("Nova", tags=["automotive"])),
        ("scenes", "stepaudio-scene", "in-car", scene_spec()),
    ):
        (seed / folder).mkdir(parents=True)
        document = {"format": fmt, "format_version": 1, "slug": slug, "published_version": 1,
                    "versions": [{"number": 1, "author": "seed", "spec": spec.model_dump(mode="json")}]}  # fmt: skip
        (seed / folder / f"{slug}.json").write_text(json.dumps(document))
    monkeypatch.setenv("STEPAUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STEPAUDIO_SEED_DIR", str(seed))
    monkeypatch.setenv("STEPAUDIO_AUTHOR", "cli-user")
    return tmp_path


def test_list_seeds_an_empty_database_and_prints_items(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["personas", "list"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("nova\tNova\tv1 (published v1)\ten  #automotive")
    assert (env / "data" / "studio.db").is_file()
    assert main(["scenes", "list", "--query", "car"]) == 0
    assert capsys.readouterr().out.startswith("in-car\tIn the car\tv1")
    assert main(["personas", "list", "--query", "nothing-like-this"]) == 0
    assert capsys.readouterr().out == "no personas match\n"


def test_export_import_in_every_format(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = env / "out"
    for fmt, name in (("stepaudio", "nova.json"), ("chara-json", "nova.card.json"), ("chara-png", "nova.png")):
        assert main(["personas", "export", "nova", "--out", str(out / name), "--format", fmt]) == 0
    assert main(["scenes", "export", "in-car", "--out", str(out / "in-car.json")]) == 0
    assert main(["library", "export", "--out", str(out / "library.json")]) == 0
    capsys.readouterr()
    assert json.loads((out / "library.json").read_text())["format"] == "stepaudio-library"
    assert (out / "nova.png").read_bytes().startswith(b"\x89PNG")

    # Into a second, empty data directory: everything comes back the same.
    assert main(["--data-dir", str(env / "data2"), "library", "import", str(out / "library.json")]) == 0
    assert "persona nova: unchanged (v1)" in capsys.readouterr().out  # the seed already had it, identical

    card = json.loads((out / "nova.card.json").read_text())
    card["data"]["first_mes"] = "Edited in another app."
    (out / "edited.card.json").write_text(json.dumps(card))
    assert main(["personas", "import", str(out / "edited.card.json")]) == 0
    assert capsys.readouterr().out == "persona nova: new version (v2)\n"
    assert main(["personas", "import", str(out / "nova.png")]) == 0
    assert capsys.readouterr().out == "persona nova: new version (v3)\n"  # back to the exported content


def test_errors_go_to_stderr_with_status_1(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["personas", "export", "nobody", "--out", str(env / "x.json")]) == 1
    assert "no persona with slug 'nobody'" in capsys.readouterr().err
    (env / "bad.json").write_text("{not json")
    assert main(["personas", "import", str(env / "bad.json")]) == 1
    assert "bad.json is not valid JSON (line 1, column 2" in capsys.readouterr().err
    assert main(["personas", "import", str(env / "missing.json")]) == 1
    assert "missing.json does not exist" in capsys.readouterr().err
    assert main(["scenes", "export", "in-car", "--out", str(env / "s.json")]) == 0
    assert main(["personas", "import", str(env / "s.json")]) == 1
    assert "holds a scene tone; import it with `stepaudio-ui scenes import`" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["scenes", "export", "in-car", "--out", "x", "--format", "chara-png"])  # cards are personas only
    assert exited.value.code == 2


def test_oversized_import_is_refused_before_reading(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STEPAUDIO_MAX_IMPORT_BYTES", "1000")
    (env / "big.json").write_text("{" + " " * 3000 + "}")
    assert main(["personas", "import", str(env / "big.json")]) == 1
    assert "big.json is 3,002 bytes, over the import limit of 1,000 bytes" in capsys.readouterr().err


def test_bench_store_prints_a_json_summary(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "store", "--personas", "40", "--versions", "3", "--repeat", "5"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["personas"] == 40 and summary["versions"] == 120
    assert set(summary) >= {"list_p50_ms", "list_p95_ms", "search_p50_ms", "save_p50_ms"}


def test_missing_external_bench_says_so(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import stepaudio_ui.cli as cli

    monkeypatch.setitem(cli.EXTERNAL_BENCHES, "engine", "stepaudio_ui.bench.not_built_here")
    assert main(["bench", "engine", "--anything"]) == 1
    assert "module stepaudio_ui.bench.not_built_here is missing" in capsys.readouterr().err


def test_serve_is_the_default_command() -> None:
    from stepaudio_ui.cli import _serve, build_parser

    assert build_parser().parse_args([]).handler is _serve
    assert build_parser().parse_args(["serve"]).handler is _serve


def test_the_cli_runs_on_either_backend_from_the_url_setting(
    env: Path, make_db_url: Callable[[], str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STEPAUDIO_DATABASE_URL", make_db_url())
    assert main(["personas", "list"]) == 0  # migrates and seeds the empty database
    assert capsys.readouterr().out.startswith("nova\tNova\tv1 (published v1)")
    assert main(["db", "current"]) == 0
    assert capsys.readouterr().out.endswith(f"revision {head_revision()}; up to date\n")
    assert main(["personas", "export", "nova", "--out", str(env / "nova.json")]) == 0
    document = json.loads((env / "nova.json").read_text())
    document["versions"][0]["spec"]["tagline"] = "Edited offline."
    (env / "nova.json").write_text(json.dumps(document))
    capsys.readouterr()
    assert main(["personas", "import", str(env / "nova.json")]) == 0
    assert capsys.readouterr().out == "persona nova: new version (v2)\n"


def test_plain_postgresql_urls_use_the_installed_driver() -> None:
    from stepaudio_ui.studio.store import Database

    for url in ("postgresql://ed:pw@db:5432/studio", "postgres://ed:pw@db:5432/studio"):
        database = Database(url)  # no connection is made until the first query
        assert database.engine.dialect.driver == "psycopg"
        assert database.display_url == "postgresql+psycopg://ed:***@db:5432/studio"
        database.dispose()


def test_an_unreachable_database_is_named_with_the_setting_to_check(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("STEPAUDIO_DATABASE_URL", f"postgresql+psycopg://ed@127.0.0.1:{port}/studio?connect_timeout=2")
    assert main(["personas", "list"]) == 1
    error = capsys.readouterr().err
    assert "cannot use the database" in error and "check STEPAUDIO_DATABASE_URL" in error
