"""One default-engine rule for the Live tab, /v1/realtime and the engine order: Step-Audio 2 mini where a GPU
and the gpu extra make it usable, else the embedded CPU engine. There is no GPU here, so the rule's decision
is tested on availability inputs, and both paths are shown to follow it with the real engines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stepaudio_ui.bootstrap import open_database
from stepaudio_ui.context import AppContext
from stepaudio_ui.engines import build_engines, choose_default_engine, default_engine_name
from stepaudio_ui.package_data import packaged_folder
from stepaudio_ui.realtime.access import resolve_target
from stepaudio_ui.ui.app import build_app


def test_the_rule_prefers_the_gpu_engine_then_the_embedded_one() -> None:
    every = {"embedded": True, "stepfun": True, "gpt-realtime": True, "step-audio-2-mini": True}
    assert choose_default_engine(every) == "step-audio-2-mini"
    assert choose_default_engine(every | {"step-audio-2-mini": False}) == "embedded"
    assert choose_default_engine({"stepfun": True, "embedded": True, "step-audio-2-mini": False}) == "embedded"
    assert choose_default_engine({"stepfun": False, "gpt-realtime": True, "embedded": False}) == "gpt-realtime"
    assert choose_default_engine({"stepfun": False, "embedded": False}) == "stepfun"  # says why when picked
    assert choose_default_engine({}) is None


def _settings(tmp_path: Path, **overrides: Any) -> Any:
    from stepaudio_ui.settings import Settings

    return Settings(data_dir=tmp_path, seed_dir=packaged_folder("seeds"), warmup=False, _env_file=None, **overrides)


def _live_engine_value(ctx: AppContext) -> str:
    config = build_app(ctx).config
    (component,) = [c for c in config["components"] if c.get("props", {}).get("elem_id") == "live-engine"]
    return component["props"]["value"]


def test_live_tab_and_realtime_endpoint_follow_the_rule(tmp_path: Path) -> None:
    # A usable remote engine listed before the embedded one: "first usable" would pick it, the rule does not.
    settings = _settings(tmp_path, stepfun_api_key="configured-but-never-called")
    built = build_engines(settings)
    assert not built["step-audio-2-mini"].availability().usable  # no CUDA GPU on this machine
    assert next(iter(built)) == default_engine_name(built) == "embedded"  # the default leads the list
    reordered = {"stepfun": built["stepfun"], **{name: e for name, e in built.items() if name != "stepfun"}}
    ctx = AppContext(settings=settings, db=open_database(settings), engines=reordered)
    assert default_engine_name(ctx.engines) == "embedded"
    assert _live_engine_value(ctx) == "embedded"
    assert resolve_target(ctx, None, None).engine_name == "embedded"
    # Only the remote engine usable: both paths fall back to it, by the same rule.
    without_cpu = {name: engine for name, engine in reordered.items() if name != "embedded"}
    ctx.engines = without_cpu
    assert _live_engine_value(ctx) == resolve_target(ctx, None, None).engine_name == "stepfun"
