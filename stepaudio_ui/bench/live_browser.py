"""Drive the Live tab in a real Chromium with a fake microphone, and measure what the ear would hear.

Used by `stepaudio-ui bench live` and by tests/live. The page gets a small init script that taps
both audio paths with WebAudio analysers on one clock (performance.now): the microphone track (so
"end of the user's speech" is observed, not guessed from the looping file) and the persona's remote
track (so "first audible reply" and "reply went silent after a barge-in" are what the browser plays).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

CHROMIUM = "/usr/bin/chromium"
MIC_RATE = 48_000  # what Chromium's fake capture reads reliably: 48 kHz mono 16-bit

# Level taps on the mic and the remote track; every 5 ms one RMS sample per track goes into an array.
AUDIO_TAP_JS = r"""
(() => {
  const tap = { mic: [], remote: [], pcs: [], ctx: null };
  window.__audioTap = tap;
  const context = () => tap.ctx || (tap.ctx = new AudioContext());
  const watch = (stream, into) => {
    const ctx = context();
    const source = ctx.createMediaStreamSource(stream);
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 256;
    source.connect(analyser);
    const buffer = new Float32Array(analyser.fftSize);
    setInterval(() => {
      analyser.getFloatTimeDomainData(buffer);
      let sum = 0;
      for (let i = 0; i < buffer.length; i++) sum += buffer[i] * buffer[i];
      into.push([performance.now(), Math.sqrt(sum / buffer.length)]);
    }, 5);
  };
  const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const stream = await original(constraints);
    if (stream.getAudioTracks().length) watch(stream, tap.mic);
    return stream;
  };
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = function (...args) {
    const pc = new Native(...args);
    tap.pcs.push(pc);
    pc.addEventListener('track', (event) => {
      if (event.track.kind === 'audio') watch(new MediaStream([event.track]), tap.remote);
    });
    return pc;
  };
  window.RTCPeerConnection.prototype = Native.prototype;
})();
"""

INBOUND_STATS_JS = """
async () => {
  const pc = window.__audioTap.pcs[window.__audioTap.pcs.length - 1];
  if (!pc) return null;
  const stats = await pc.getStats();
  let found = null;
  stats.forEach(r => { if (r.type === 'inbound-rtp' && r.kind === 'audio') found = {
    packetsReceived: r.packetsReceived, totalAudioEnergy: r.totalAudioEnergy,
    jitterBufferDelay: r.jitterBufferDelay, jitterBufferEmittedCount: r.jitterBufferEmittedCount }; });
  return {state: pc.connectionState, inbound: found};
}
"""


def chromium_args(mic_wav: Path) -> list[str]:
    """Flags for a headless Chromium that plays `mic_wav` (looping) as its microphone over loopback WebRTC."""
    return [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={mic_wav}",
        "--allow-loopback-in-peer-connection",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--autoplay-policy=no-user-gesture-required",
    ]


# --------------------------------------------------------------------------- spoken test audio


@dataclass(frozen=True)
class Utterance:
    text: str
    start_s: float
    end_s: float


def speak(text: str, *, voice: str = "en-us", words_per_minute: int = 165) -> np.ndarray:
    """`text` spoken by espeak-ng, as float32 at MIC_RATE (sox resamples)."""
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        raise RuntimeError("espeak-ng and sox are needed to make test speech: apt-get install -y espeak-ng sox")
    with tempfile.TemporaryDirectory() as tmp:
        raw, out = Path(tmp) / "raw.wav", Path(tmp) / "out.raw"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(words_per_minute), "-w", str(raw), text], check=True)
        subprocess.run(
            ["sox", str(raw), "-r", str(MIC_RATE), "-c", "1", "-b", "16", "-e", "signed", "-t", "raw", str(out)],
            check=True,
        )
        samples = np.frombuffer(out.read_bytes(), dtype="<i2").astype(np.float32) / 32768.0
    peak = float(np.abs(samples).max()) or 1.0
    return samples * (0.6 / peak)


def write_mic_wav(path: Path, script: list[tuple[str, float]], *, lead_silence_s: float = 1.0) -> list[Utterance]:
    """A WAV of utterances each followed by its silence gap: [(text, gap_s), ...]. Returns the schedule."""
    import soundfile

    pieces = [np.zeros(int(lead_silence_s * MIC_RATE), dtype=np.float32)]
    schedule, cursor = [], lead_silence_s
    for text, gap_s in script:
        voice = speak(text)
        schedule.append(Utterance(text, cursor, cursor + len(voice) / MIC_RATE))
        pieces += [voice, np.zeros(int(gap_s * MIC_RATE), dtype=np.float32)]
        cursor += len(voice) / MIC_RATE + gap_s
    soundfile.write(str(path), np.concatenate(pieces), MIC_RATE, subtype="PCM_16")
    return schedule


# --------------------------------------------------------------------------- reading the taps


@dataclass(frozen=True)
class Segment:
    start_ms: float
    end_ms: float


def segments(
    samples: list[list[float]], *, threshold: float, min_gap_ms: float, min_len_ms: float = 60.0
) -> list[Segment]:
    """Stretches where the level stays above `threshold`, merging gaps shorter than `min_gap_ms`."""
    found: list[Segment] = []
    start = last = None
    for t, level in samples:
        if level >= threshold:
            if start is None:
                start = t
            elif last is not None and t - last > min_gap_ms:
                found.append(Segment(start, last))
                start = t
            last = t
    if start is not None and last is not None:
        found.append(Segment(start, last))
    return [seg for seg in found if seg.end_ms - seg.start_ms >= min_len_ms]


@dataclass(frozen=True)
class TurnMeasure:
    speech_end_ms: float
    reply_start_ms: float | None  # first audible reply after the end of speech
    bargein_stop_ms: float | None  # reply playing when this speech began: how long until it went quiet

    @property
    def eos_to_audio_ms(self) -> float | None:
        return None if self.reply_start_ms is None else self.reply_start_ms - self.speech_end_ms


def measure_turns(
    tap: dict[str, Any], *, mic_threshold: float = 0.01, remote_threshold: float = 0.01
) -> list[TurnMeasure]:
    """Pair every spoken segment with the reply audio around it, on the browser's clock."""
    speech = segments(tap["mic"], threshold=mic_threshold, min_gap_ms=500)
    replies = segments(tap["remote"], threshold=remote_threshold, min_gap_ms=250)
    measures = []
    for index, said in enumerate(speech):
        next_start = speech[index + 1].start_ms if index + 1 < len(speech) else float("inf")
        reply = next((r for r in replies if said.end_ms < r.start_ms < next_start), None)
        playing = next((r for r in replies if r.start_ms < said.start_ms < r.end_ms + 20), None)
        stop = None if playing is None else max(0.0, playing.end_ms - said.start_ms)
        measures.append(TurnMeasure(said.end_ms, reply.start_ms if reply else None, stop))
    return measures


def percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None
