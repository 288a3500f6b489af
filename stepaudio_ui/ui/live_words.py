"""The Live tab's conversation button in the page's language.

fastrtc's WebRTC component draws its own button: "Click to Access Microphone", then "Start conversation",
"Connecting…" and "Stop". Its words are fixed when the page is built, in English, because a Python update
of the component (even one that changes nothing) replaces the server's copy of it for that browser and
loses `live_rtc.tolerate_empty_value` (every picker change then fails with an error). So on a Chinese page
this script swaps the button's words as the component draws them.
"""

from __future__ import annotations

import json

from stepaudio_ui.ui.i18n import LANGUAGES, english, text_in

WORDS = ("access", "start", "stop", "waiting")  # "live.button.<name>"
# What the page is built with (fastrtc's `button_labels`; "access" is fastrtc's own, not settable).
BUTTON_LABELS = {name: english(f"live.button.{name}") for name in WORDS if name != "access"}


def in_every_language(name: str) -> list[str]:
    """The button's word `name` in each language (page scripts recognise the button by it)."""
    return sorted({text_in(language, f"live.button.{name}") for language in LANGUAGES})


SWAP_JS = """
() => {
  if (window.__liveWords || window.studioLanguage !== 'zh') return;
  window.__liveWords = true;
  const WORDS = __WORDS__;
  const swap = (root) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const word = node.nodeValue.trim();
      if (WORDS[word]) node.nodeValue = node.nodeValue.replace(word, WORDS[word]);
    }
  };
  let watched = null;
  const observer = new MutationObserver(() => { if (watched) swap(watched); });
  const watch = () => {
    const live = document.querySelector('#live-webrtc');
    if (!live || live === watched) return;
    watched = live;
    observer.disconnect();
    observer.observe(live, {subtree: true, childList: true, characterData: true});
    swap(live);
  };
  watch();
  setInterval(watch, 1000);  // the component is drawn when its tab first shows, and may be drawn anew
}
""".replace(
    "__WORDS__",
    json.dumps(
        {english(f"live.button.{name}"): text_in("zh", f"live.button.{name}") for name in WORDS}, ensure_ascii=False
    ),
)
