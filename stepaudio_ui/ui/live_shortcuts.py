"""Keyboard shortcuts for the Live tab: Space starts or stops the conversation, Escape stops it.

They act only while the Live tab is on screen and never while the focus is in a text box, a dropdown or
on another control (a focused button keeps its own Space). The start button carries `aria-keyshortcuts`,
and a line under it says so to everyone.
"""

from __future__ import annotations

import json

import gradio as gr

# The conversation button's words; the script below tells a running conversation by them.
BUTTON_LABELS = {"start": "Start conversation", "stop": "Stop", "waiting": "Connecting…"}
HINT = "⌨️ Keyboard: **Space** starts or stops the conversation, **Esc** stops it (not while you type in a box)."
HINT_ID = "live-shortcuts-hint"

SHORTCUTS_JS = """
() => {
  if (window.__liveShortcuts) return;
  const state = window.__liveShortcuts = {handled: 0};
  const LABELS = __LABELS__;
  const TYPING = 'input, textarea, select, [contenteditable=""], [contenteditable="true"]';
  const CONTROLS = 'button, a[href], summary, [role=button], [role=option], [role=listbox], [role=combobox], '
    + '[role=slider], [role=tab], [role=checkbox], [role=radio], [role=switch], [role=menuitem], [role=spinbutton]';
  const root = () => document.querySelector('#live-webrtc');
  const startButton = () => document.querySelector('#live-webrtc button[aria-label="start stream"]');
  const accessButton = () =>
    [...document.querySelectorAll('#live-webrtc button')].find((b) => /access microphone/i.test(b.textContent));
  const running = () => {
    const button = startButton();
    return !!button && !button.textContent.includes(LABELS.start);
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
""".replace("__LABELS__", json.dumps(BUTTON_LABELS, ensure_ascii=False))


def hint() -> gr.Markdown:
    """The line that tells users the shortcuts, laid out where it is called."""
    return gr.Markdown(HINT, elem_id=HINT_ID, elem_classes="hint")
