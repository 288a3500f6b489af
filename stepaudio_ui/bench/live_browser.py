"""Drive the Live tab in a real Chromium with a fake microphone, and measure what the ear would hear.

Used by `stepaudio-ui bench live` and by tests/live. The page gets a small init script that taps
both audio paths with WebAudio analysers on one clock (performance.now): the microphone track (so
"end of the user's speech" is observed, not guessed from the looping file) and the persona's remote
track (so "first audible reply" and "reply went silent after a barge-in" are what the browser plays).
"""

from __future__ import annotations

import base64
import logging
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

CHROMIUM = "/usr/bin/chromium"
MIC_RATE = 48_000  # what Chromium's fake capture reads reliably: 48 kHz mono 16-bit

# A microphone the test can speak into on cue, and level taps on both audio paths.
# getUserMedia returns a WebAudio stream: silence until `__mic.speak(name)` plays a loaded clip into
# it, so a test can talk over a reply at the moment it chooses (a looping fake-capture file cannot).
# Every 5 ms one RMS sample of the mic and of the persona's remote track goes into `__audioTap`.
AUDIO_TAP_JS = r"""
(() => {
  const tap = { mic: [], remote: [], pcs: [], spoken: [] };
  window.__audioTap = tap;
  const ctx = new AudioContext({ sampleRate: 48000 });
  const micOut = ctx.createMediaStreamDestination();
  const clips = {};
  window.__mic = {
    load: (name, base64) => {
      const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
      const pcm = new Int16Array(bytes.buffer);
      const buffer = ctx.createBuffer(1, pcm.length, 48000);
      const data = buffer.getChannelData(0);
      for (let i = 0; i < pcm.length; i++) data[i] = pcm[i] / 32768;
      clips[name] = buffer;
      return buffer.duration;
    },
    speak: async (name) => {
      await ctx.resume();
      const source = ctx.createBufferSource();
      source.buffer = clips[name];
      source.connect(micBus);
      const started = performance.now();
      source.start();
      const entry = { name, start: started, end: started + clips[name].duration * 1000 };
      tap.spoken.push(entry);
      return entry;
    },
  };
  const watch = (source, into) => {
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
  // The mic tap listens to a gain node feeding the stream (not to the stream itself: reading a
  // MediaStreamDestination back into its own context stalls the track Chrome sends).
  const micBus = ctx.createGain();
  micBus.connect(micOut);
  watch(micBus, tap.mic);
  // A room-noise floor (-80 dBFS) that never stops: with no source playing, Chrome stops rendering
  // the graph and the WebRTC track goes silent without sending packets, so the server hears nothing.
  const floor = ctx.createBuffer(1, 48000, 48000);
  const floorData = floor.getChannelData(0);
  for (let i = 0; i < floorData.length; i++) floorData[i] = (Math.random() * 2 - 1) * 1e-4;
  const floorSource = ctx.createBufferSource();
  floorSource.buffer = floor;
  floorSource.loop = true;
  floorSource.connect(micBus);
  floorSource.start();
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    await ctx.resume();
    return micOut.stream;
  };
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = function (...args) {
    const pc = new Native(...args);
    tap.pcs.push(pc);
    pc.addEventListener('track', (event) => {
      if (event.track.kind === 'audio') watch(ctx.createMediaStreamSource(new MediaStream([event.track])), tap.remote);
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
    packetsReceived: r.packetsReceived, totalAudioEnergy: r.totalAudioEnergy, concealmentEvents: r.concealmentEvents,
    jitterBufferDelay: r.jitterBufferDelay, jitterBufferTargetDelay: r.jitterBufferTargetDelay,
    jitterBufferEmittedCount: r.jitterBufferEmittedCount }; });
  return {state: pc.connectionState, inbound: found};
}
"""


def chromium_args(mic_wav: Path | None = None) -> list[str]:
    """Flags for a headless Chromium with a fake microphone (looping `mic_wav` if given) over loopback WebRTC."""
    fake_file = [f"--use-file-for-fake-audio-capture={mic_wav}"] if mic_wav else []
    return [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        *fake_file,
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


def speak(text: str, *, voice: str = "en-us", words_per_minute: int = 165) -> np.ndarray:
    """`text` spoken by espeak-ng, as int16 at MIC_RATE (sox resamples), peak at -4 dBFS."""
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        raise RuntimeError("espeak-ng and sox are needed to make test speech: apt-get install -y espeak-ng sox")
    with tempfile.TemporaryDirectory() as tmp:
        raw, out = Path(tmp) / "raw.wav", Path(tmp) / "out.raw"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(words_per_minute), "-w", str(raw), text], check=True)
        subprocess.run(
            ["sox", str(raw), "-r", str(MIC_RATE), "-c", "1", "-b", "16", "-e", "signed", "-t", "raw", str(out)],
            check=True,
        )
        samples = np.frombuffer(out.read_bytes(), dtype="<i2").astype(np.float32)
    peak = float(np.abs(samples).max()) or 1.0
    return (samples * (0.6 * 32767 / peak)).astype(np.int16)


def write_wav(path: Path, samples: np.ndarray, *, silence_after_s: float = 0.0) -> Path:
    """A 48 kHz mono 16-bit WAV (the format Chromium's fake capture reads) of `samples` + silence."""
    import soundfile

    padded = np.concatenate([samples, np.zeros(int(silence_after_s * MIC_RATE), dtype=np.int16)])
    soundfile.write(str(path), padded, MIC_RATE, subtype="PCM_16")
    return path


class LivePage:
    """The Live tab of a page opened with AUDIO_TAP_JS (Playwright's sync API)."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def load_clip(self, name: str, samples: np.ndarray) -> float:
        encoded = base64.b64encode(np.asarray(samples, dtype="<i2").tobytes()).decode("ascii")
        return float(self.page.evaluate("([n, b]) => window.__mic.load(n, b)", [name, encoded]))

    def say(self, name: str) -> dict[str, float]:
        """Start playing a loaded clip into the microphone; returns its {start, end} on the page clock."""
        return self.page.evaluate("(n) => window.__mic.speak(n)", name)

    def now_ms(self) -> float:
        return float(self.page.evaluate("() => performance.now()"))

    def show(self, *, timeout_s: float = 30.0) -> None:
        """Open the Live tab. A click that lands while Gradio is still building the page can be undone by
        it (the first tab comes back), so click until the persona picker is really on screen."""
        deadline = time.monotonic() + timeout_s
        picker = self.page.locator("#live-persona input")
        while True:
            self.page.get_by_role("tab", name="Live").click()
            try:
                picker.wait_for(state="visible", timeout=2_000)
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise

    def choose(self, elem_id: str, option: str) -> None:
        """Pick `option` in the Gradio dropdown with element id `elem_id` (labels repeat across tabs).

        Waits first for the page load to fill the pickers for this caller (their info line appears):
        a pick made before that would be re-rendered away by the caller's own lists.
        """
        from playwright.sync_api import expect

        from stepaudio_ui.ui.i18n import english  # the page's own wording (in English), not a copy of it

        things = english("live.things.persona")
        filled = "|".join(re.escape(english(f"live.info.{role}", things=things)) for role in ("editor", "viewer"))
        expect(self.page.locator("#live-persona")).to_contain_text(re.compile(filled))
        self.page.locator(f"#{elem_id} input").click()
        self.page.get_by_role("option", name=option, exact=True).click()

    def start(self, *, timeout_s: float = 30.0) -> None:
        """Grant the microphone, press Start conversation, wait until WebRTC is connected."""
        self.page.get_by_text("Click to Access Microphone").click()
        self.page.get_by_role("button", name="start stream").click()
        deadline = time.monotonic() + timeout_s
        while (stats := self.inbound()) is None or stats["state"] != "connected":
            if time.monotonic() > deadline:
                raise TimeoutError(f"WebRTC did not connect within {timeout_s:.0f} s (last stats: {stats})")
            time.sleep(0.2)

    def stop(self) -> None:
        self.page.get_by_role("button", name="start stream").click()  # the same button; only its text says Stop

    def inbound(self) -> dict[str, Any] | None:
        return self.page.evaluate(INBOUND_STATS_JS)

    def levels(self) -> dict[str, list[list[float]]]:
        return self.page.evaluate("() => ({mic: window.__audioTap.mic, remote: window.__audioTap.remote})")

    def remote_audio_after(self, since_ms: float, *, threshold: float = 0.01) -> float | None:
        """Page time of the first audible remote sample after `since_ms` (None: nothing yet)."""
        return self.page.evaluate(
            """([since, threshold]) => {
                 const hit = window.__audioTap.remote.find(([t, level]) => t > since && level >= threshold);
                 return hit ? hit[0] : null; }""",
            [since_ms, threshold],
        )

    def wait_for_remote_audio(self, since_ms: float, *, timeout_s: float, threshold: float = 0.01) -> float | None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = self.remote_audio_after(since_ms, threshold=threshold)
            if found is not None:
                return found
            time.sleep(0.1)
        return None

    def playing_at(self, at_ms: float | None = None, *, window_ms: float = 60.0, threshold: float = 0.01) -> bool:
        """Was the persona audible in the `window_ms` before `at_ms` (default: now)?"""
        return bool(
            self.page.evaluate(
                """([at, windowMs, threshold]) => {
                     const end = at ?? performance.now();
                     return window.__audioTap.remote.some(([t, level]) => t > end - windowMs && t <= end && level >= threshold); }""",
                [at_ms, window_ms, threshold],
            )
        )

    def wait_until_playing(self, *, timeout_s: float, threshold: float = 0.01) -> bool:
        """Wait for a moment the persona is audible right now (not in a pause between phrases)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.playing_at(threshold=threshold):
                return True
            time.sleep(0.02)
        return False

    def quiet_since(self, since_ms: float, *, quiet_ms: float = 400.0, threshold: float = 0.01) -> float | None:
        """Page time the remote track went quiet after `since_ms` and stayed quiet `quiet_ms` (None: not yet)."""
        return self.page.evaluate(
            """([since, quietMs, threshold]) => {
                 const samples = window.__audioTap.remote.filter(([t]) => t >= since);
                 let lastLoud = since;
                 for (const [t, level] of samples) if (level >= threshold) lastLoud = t;
                 const end = samples.length ? samples[samples.length - 1][0] : since;
                 return end - lastLoud >= quietMs ? lastLoud : null; }""",
            [since_ms, quiet_ms, threshold],
        )


def percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None
