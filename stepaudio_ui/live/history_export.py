"""A saved conversation as files: transcript JSON, transcript Markdown, and one stereo WAV of both sides.

The live handler writes each side as its own mono WAV while the conversation runs (user at the mic
rate, persona at the engine's output rate); here they are put side by side, user left and persona
right, at the persona's rate, both starting at the connection's start.
"""

from __future__ import annotations

import json
import wave
from pathlib import Path
from typing import Any

import numpy as np
import soxr

from stepaudio_ui.live.session import PERSONA_WAV, USER_WAV, conversation_audio_dir


def transcript_dict(view: Any) -> dict[str, Any]:
    """`view` is a stepaudio_ui.live.conversations.ConversationView."""
    summary = view.summary
    return {
        "id": summary.id,
        "persona": {"slug": summary.persona_slug, "version": summary.persona_version},
        "scene": {"slug": summary.scene_slug, "version": summary.scene_version},
        "engine": summary.engine,
        "brain": summary.brain_card,  # the embedded engine's chat model that answered, with its card
        "started_at": summary.started_at.isoformat(),
        "ended_at": summary.ended_at.isoformat() if summary.ended_at else None,
        "end_reason": summary.end_reason,
        "turns": [
            {
                "index": turn.index,
                "role": turn.role,
                "text": turn.text,
                "interrupted": turn.interrupted,
                "at": turn.started_at.isoformat(),
                "timings": turn.timings,
            }
            for turn in view.turns
        ],
    }


def transcript_markdown(view: Any) -> str:
    summary = view.summary
    scene = f"{summary.scene_slug} v{summary.scene_version}" if summary.scene_slug else "none"
    lines = [
        f"# Conversation {summary.id}",
        "",
        f"- Persona: {summary.persona_label}",
        f"- Scene tone: {scene}",
        f"- Engine: {summary.engine}" + (f" (brain: {summary.brain})" if summary.brain else ""),
        f"- Started: {summary.started_at:%Y-%m-%d %H:%M:%S} UTC",
        f"- Ended: {summary.ended_at:%Y-%m-%d %H:%M:%S} UTC ({summary.end_reason})"
        if summary.ended_at
        else "- Ended: -",
        "",
    ]
    for turn in view.turns:
        who = "**User**" if turn.role == "user" else f"**{summary.speaker}**"
        mark = " _(interrupted)_" if turn.interrupted else ""
        lines.append(f"{who}: {turn.text}{mark}")
        lines.append("")
    return "\n".join(lines)


def _read_mono(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as wav:
        rate = wav.getframerate()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    return samples, rate


def _resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    if from_rate == to_rate or not len(samples):
        return samples
    # soxr low-passes before it decimates: the microphone's 48 kHz side keeps nothing above the persona's
    # Nyquist frequency that would fold back into the audible band (linear interpolation let it through).
    return soxr.resample(samples, from_rate, to_rate, quality="HQ")


def both_sides_wav(data_dir: Path, conversation_id: int, out_path: Path) -> Path | None:
    """Write a stereo WAV (left: user, right: persona); None when the conversation has no audio."""
    folder = conversation_audio_dir(data_dir, conversation_id)
    user_path, persona_path = folder / USER_WAV, folder / PERSONA_WAV
    if not user_path.is_file() and not persona_path.is_file():
        return None
    user, user_rate = _read_mono(user_path) if user_path.is_file() else (np.zeros(0, np.int16), 24_000)
    persona, rate = _read_mono(persona_path) if persona_path.is_file() else (np.zeros(0, np.int16), user_rate)
    user = _resample(user, user_rate, rate)
    length = max(len(user), len(persona))
    stereo = np.zeros((length, 2), dtype=np.int16)
    stereo[: len(user), 0] = user
    stereo[: len(persona), 1] = persona
    with wave.open(str(out_path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(stereo.astype("<i2").tobytes())
    return out_path


def export_files(data_dir: Path, view: Any, out_dir: Path) -> list[Path]:
    """All downloads of one conversation, written into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"conversation-{view.summary.id}"
    json_path = out_dir / f"{stem}.json"
    json_path.write_text(json.dumps(transcript_dict(view), ensure_ascii=False, indent=2), encoding="utf-8")
    md_path = out_dir / f"{stem}.md"
    md_path.write_text(transcript_markdown(view), encoding="utf-8")
    files = [json_path, md_path]
    wav_path = both_sides_wav(data_dir, view.summary.id, out_dir / f"{stem}.wav")
    if wav_path is not None:
        files.insert(0, wav_path)
    return files
