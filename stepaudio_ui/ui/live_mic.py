"""The Live tab's microphone check, run by the page on load (its own file: live_panel.py is layout and wiring)."""

# The page checks the microphone itself so "no microphone" / "denied" is said before anyone presses Start.
MIC_CHECK_JS = """
async () => {
  const box = document.querySelector('#live-mic-notice');
  const say = (text, bad) => { if (box) { box.textContent = text; box.dataset.state = bad ? 'problem' : 'ok'; } };
  if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) {
    say('🎙️ This browser gives no microphone access here (a secure https:// or localhost page is needed). You can still type.', true);
    return;
  }
  try {
    const devices = await navigator.mediaDevices.enumerateDevices();
    if (!devices.some(d => d.kind === 'audioinput')) {
      say('🎙️ No microphone found: plug one in and reload, or type to the persona below.', true);
      return;
    }
    if (navigator.permissions) {
      const status = await navigator.permissions.query({name: 'microphone'});
      const show = () => status.state === 'denied'
        ? say('🎙️ Microphone access is blocked: allow it in the address bar, then reload. You can still type.', true)
        : say('🎙️ Microphone ready: press Start conversation and speak.', false);
      status.onchange = show;
      show();
      return;
    }
    say('🎙️ Microphone found: press Start conversation and speak.', false);
  } catch (err) {
    say('🎙️ Could not check the microphone: ' + err, true);
  }
}
"""
