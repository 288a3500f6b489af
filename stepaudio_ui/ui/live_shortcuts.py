"""Keyboard shortcuts for the Live tab: Space starts or stops the conversation, Escape stops it.

They act only while the Live tab is on screen and never while the focus is in a text box, a dropdown or
on another control (a focused button keeps its own Space). The start button carries `aria-keyshortcuts`,
and a line under it says so to everyone.
"""

from __future__ import annotations

import json

import gradio as gr

from stepaudio_ui.ui.i18n import i18n
from stepaudio_ui.ui.live_words import in_every_language

HINT_ID = "live-shortcuts-hint"

SHORTCUTS_JS = """
() => {
  if (window.__liveShortcuts) return;
  const state = window.__liveShortcuts = {handled: 0};
  const START_LABELS = __LABELS__;  // in either language: live_words swaps them on a Chinese page
  const ACCESS_LABELS = __ACCESS__;
  const TYPING = 'input, textarea, select, [contenteditable=""], [contenteditable="true"]';
  const CONTROLS = 'button, a[href], summary, [role=button], [role=option], [role=listbox], [role=combobox], '
    + '[role=slider], [role=tab], [role=checkbox], [role=radio], [role=switch], [role=menuitem], [role=spinbutton]';
  const root = () => document.querySelector('#live-webrtc');
  const startButton = () => document.querySelector('#live-webrtc button[aria-label="start stream"]');
  const accessButton = () =>
    [...document.querySelectorAll('#live-webrtc button')].find((b) => ACCESS_LABELS.some((w) => b.textContent.includes(w)));
  const running = () => {
    const button = startButton();
    return !!button && !START_LABELS.some((label) => button.textContent.includes(label));
  };
  const press = async () => {
    const access = accessButton();
    if (access && !startButton()) {
      access.click();  // the microphone first, as a click would; the start button appears once it is granted
      for (let i = 0; i < 100 && !startButton(); i++) await new Promise((r) => setTimeout(r, 100));
    }
    const button = startButton();
    if (button) button.click();
  };
  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.repeat || event.ctrlKey || event.altKey || event.metaKey || event.shiftKey) return;
    const isSpace = event.code === 'Space' || event.key === ' ';
    if (!isSpace && event.key !== 'Escape') return;
    const live = root();
    if (!live || live.offsetParent === null) return;  // the Live tab is not on screen
    const target = event.target instanceof Element ? event.target : null;
    if (target && (target.closest(TYPING) || target.closest(CONTROLS) || target.isContentEditable)) return;
    if (event.key === 'Escape' && !running()) return;
    event.preventDefault();  // Space would scroll the page
    state.handled += 1;
    press();
  });
  // Say the shortcut on the button itself, for assistive technology (the button is re-created on stop).
  setInterval(() => {
    const button = startButton();
    if (button && !button.hasAttribute('aria-keyshortcuts')) button.setAttribute('aria-keyshortcuts', 'Space Escape');
  }, 1000);
}
""".replace("__LABELS__", json.dumps(in_every_language("start"), ensure_ascii=False)).replace(
    "__ACCESS__", json.dumps(in_every_language("access"), ensure_ascii=False)
)


def hint() -> gr.Markdown:
    """The line that tells users the shortcuts, laid out where it is called."""
    return gr.Markdown(i18n("live.shortcuts_hint"), elem_id=HINT_ID, elem_classes="hint")
