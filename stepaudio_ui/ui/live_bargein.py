"""Instant barge-in in the browser: the persona falls silent the moment the user talks over it.

The server stops a reply as soon as its VAD hears ~96 ms of speech, but what was already sent keeps
playing out of the browser's WebRTC jitter buffer (measured 200-330 ms on loopback), so a reply used
to go quiet only ~450-700 ms after the user started talking. The page therefore listens to its own
microphone (after the browser's echo cancellation) and, while the persona is audible, mutes the
persona's incoming track once the microphone has been loud for ~50 ms. The track is unmuted after
~400 ms of quiet from the microphone: by then the server has cancelled the reply, so what plays next
is the answer to the new turn. Scenes that do not let the user interrupt are left alone (the
`#live-bargein` marker, kept current with the chosen scene version, says which).
"""

from __future__ import annotations

from stepaudio_ui.context import AppContext
from stepaudio_ui.studio.published_scope import allowed_version
from stepaudio_ui.studio.specs import NO_SCENE
from stepaudio_ui.web.access import AccessError, Role

MARKER_ID = "live-bargein"

BARGE_IN_JS = """
() => {
  if (window.__bargeIn) return;
  const state = window.__bargeIn = {ducked: false, ducks: 0};
  const MIC_LOUD = 0.03;      // RMS (about -30 dBFS) the microphone must pass: speech, not room noise
  const MIC_POLLS = 3;        // consecutive 20 ms polls that loud (~50 ms): a click or a tap is not a turn
  const REMOTE_AUDIBLE = 0.01;
  const UNMUTE_AFTER_MS = 400;
  let context = null;
  const meter = (stream) => {
    context = context || new AudioContext();
    if (context.state === 'suspended') context.resume();
    const analyser = context.createAnalyser();
    analyser.fftSize = 512;
    context.createMediaStreamSource(stream).connect(analyser);
    const buffer = new Float32Array(analyser.fftSize);
    return () => {
      analyser.getFloatTimeDomainData(buffer);
      let sum = 0;
      for (let i = 0; i < buffer.length; i++) sum += buffer[i] * buffer[i];
      return Math.sqrt(sum / buffer.length);
    };
  };
  let micLevel = null;
  const remotes = [];
  const media = navigator.mediaDevices;
  if (media && media.getUserMedia) {
    const getUserMedia = media.getUserMedia.bind(media);
    media.getUserMedia = async (constraints) => {
      const stream = await getUserMedia(constraints);
      if (stream.getAudioTracks().length) micLevel = meter(stream);
      return stream;
    };
  }
  const Native = window.RTCPeerConnection;
  if (Native) {
    const Wrapped = function (...args) {
      const pc = new Native(...args);
      pc.addEventListener('track', (event) => {
        if (event.track.kind === 'audio') remotes.push({track: event.track, level: meter(new MediaStream([event.track]))});
      });
      return pc;
    };
    Wrapped.prototype = Native.prototype;
    window.RTCPeerConnection = Wrapped;
  }
  const allowed = () => {
    const marker = document.querySelector('#__MARKER__ [data-allowed]');
    return !marker || marker.dataset.allowed !== 'no';
  };
  let loudPolls = 0, lastLoud = 0, lastAudible = 0;
  setInterval(() => {
    if (!micLevel || !remotes.length) return;
    const now = performance.now();
    const remote = remotes[remotes.length - 1];
    if (remote.track.readyState === 'ended') return;
    if (!state.ducked && remote.level() >= REMOTE_AUDIBLE) lastAudible = now;
    loudPolls = micLevel() >= MIC_LOUD ? loudPolls + 1 : 0;
    if (loudPolls) lastLoud = now;
    if (!state.ducked && loudPolls >= MIC_POLLS && now - lastAudible < 150 && allowed()) {
      remote.track.enabled = false;  // a disabled remote track plays silence
      state.ducked = true;
      state.ducks += 1;
    } else if (state.ducked && now - lastLoud > UNMUTE_AFTER_MS) {
      remote.track.enabled = true;
      state.ducked = false;
    }
  }, 20);  // 20 ms, not less: on a 2-core machine shared with the server every wake-up counts
}
""".replace("__MARKER__", MARKER_ID)


def marker_html(allowed: bool) -> str:
    return f'<span data-allowed="{"yes" if allowed else "no"}"></span>'


def scene_allows_interrupt(ctx: AppContext, scene: str | None, scene_version: int | None, role: Role) -> bool:
    """Whether the chosen scene version lets the user interrupt (unknown or unreadable: yes, the default)."""
    from stepaudio_ui.studio import library as studio

    if not scene or scene == NO_SCENE:  # no scene tone: the neutral frame lets the user interrupt
        return True
    try:
        with ctx.db.session() as session:
            view = allowed_version(session, kind="scene", slug=scene, number=scene_version, role=role, action="preview")
    except (studio.StudioError, AccessError):
        return True
    return view.spec.turn_taking.allow_interrupt  # type: ignore[union-attr]  # kind="scene": a SceneSpec
