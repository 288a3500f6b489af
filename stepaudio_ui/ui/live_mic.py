"""The Live tab's microphone check, run by the page on load (its own file: live_panel.py is layout and wiring)."""

from stepaudio_ui.ui.i18n import js_texts

# The page checks the microphone itself so "no microphone" / "denied" is said before anyone presses Start.
MIC_CHECK_JS = """
async () => {
  const T = __TEXTS__[window.studioLanguage === 'zh' ? 'zh' : 'en'];
  const box = document.querySelector('#live-mic-notice');
  const say = (text, bad) => { if (box) { box.textContent = text; box.dataset.state = bad ? 'problem' : 'ok'; } };
  if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) {
    say(T.no_access, true);
    return;
  }
  try {
    const devices = await navigator.mediaDevices.enumerateDevices();
    if (!devices.some(d => d.kind === 'audioinput')) {
      say(T.none, true);
      return;
    }
    if (navigator.permissions) {
      const status = await navigator.permissions.query({name: 'microphone'});
      const show = () => status.state === 'denied'
        ? say(T.blocked, true)
        : say(T.ready, false);
      status.onchange = show;
      show();
      return;
    }
    say(T.found, false);
  } catch (err) {
    say(T.failed + err, true);
  }
}
""".replace("__TEXTS__", js_texts("live.mic."))
