"""Does an early end of turn cut people off? The hesitation set through the engine, at real-time pace.

Each hesitant question (`hesitations`) is spoken into a session that transcribes but does not answer
(`create_response: false`), so the pass is cheap and only turn taking is measured: the VAD, the end-of-turn
model, the pause's early transcript, as in a live conversation. An end of turn announced before the
speaker's last word (`speech_stopped` while the rest of the sentence is still to come) is a cut-in: in a
conversation a reply would have started on half a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

from model.protocol import Engine
from stepaudio_ui.bench.engine_turns import SpokenTurnDriver
from stepaudio_ui.bench.utterances import SAMPLE_RATE, Utterance, trim_silence

PASS_SESSION = 90  # the session number the pass's turns log under


@dataclass(frozen=True)
class CutIn:
    name: str
    cut_in: bool
    transcript: str


async def hesitation_pass(
    engine: Engine, utterances: list[Utterance], *, silence_ms: int, same_clock: bool
) -> list[CutIn]:
    driver = SpokenTurnDriver(
        engine, PASS_SESSION, silence_ms, max_sentences=1, same_clock=same_clock, create_response=False
    )
    results = await driver.run(utterances)
    found = []
    for utterance, result, ends_ms in zip(utterances, results, driver.ends_heard_ms, strict=False):
        speech_ms = trim_silence(utterance.audio).size * 1000 / SAMPLE_RATE
        found.append(CutIn(utterance.name, any(end < speech_ms for end in ends_ms), result.transcript))
    return found


def summarise_cut_ins(found: list[CutIn]) -> dict[str, object]:
    cut = [c.name for c in found if c.cut_in]
    return {
        "hesitation_turns": len(found),
        "hesitation_cut_ins": len(cut),
        "hesitation_cut_in_share": round(len(cut) / len(found), 3) if found else None,
        "hesitation_cut_in_names": cut,
    }
