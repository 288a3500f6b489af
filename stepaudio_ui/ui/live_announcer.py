"""The live transcript for screen readers: each finished line is announced once, politely.

Gradio's Chatbot marks its message list as a polite live region, but the Live tab rewrites the newest
message ~10 times a second while the reply is being written, so a screen reader would read fragments
over and over. That region is set to `aria-live="off"` here, and a visually hidden region
(`role="log"`, `aria-live="polite"`) holds only the newest finished line: the user's words once they are
transcribed, the persona's reply once it has been spoken (or cut off). The status line is made polite
too, so "Could not start: ..." is heard as well as seen.
"""

from __future__ import annotations

import html

import gradio as gr

from stepaudio_ui.live.view import FinishedLine
from stepaudio_ui.ui.i18n import js_texts, tr

ELEM_ID = "live-announcer"

# The wrapper Gradio renders for the region stays in the page while its content is replaced, so the
# live-region attributes go on it (a region created together with its content is often not announced).
ARIA_JS = """
() => {
  if (window.__liveAnnouncer) return;
  window.__liveAnnouncer = true;
  const apply = () => {
    const region = document.querySelector('#__ID__');
    if (region && region.getAttribute('aria-live') !== 'polite') {
      region.setAttribute('role', 'log');
      region.setAttribute('aria-live', 'polite');
      region.setAttribute('aria-atomic', 'true');
      region.setAttribute('aria-label', __TEXTS__[window.studioLanguage === 'zh' ? 'zh' : 'en'].region);
    }
    const status = document.querySelector('#live-status');
    if (status && status.getAttribute('aria-live') !== 'polite') status.setAttribute('aria-live', 'polite');
    document.querySelectorAll('#live-transcript [aria-live="polite"]').forEach((el) => el.setAttribute('aria-live', 'off'));
  };
  apply();
  setInterval(apply, 1000);  // Gradio may re-create these elements; cheap enough to check once a second
}
""".replace("__ID__", ELEM_ID).replace("__TEXTS__", js_texts("live.announce."))


def region() -> gr.HTML:
    """The hidden region, laid out where it is called."""
    return gr.HTML("", elem_id=ELEM_ID, elem_classes="sr-only", show_label=False)


def announcement(line: FinishedLine | None) -> str:
    """The region's content: the newest finished line, escaped (transcripts quote what people said)."""
    if line is None:
        return ""
    key = "interrupted" if line.role == "assistant" and line.interrupted else line.role
    key = key if key in ("user", "assistant", "interrupted") else "user"
    return f"<p>{html.escape(tr(f'live.announce.{key}', text=line.text))}</p>"
