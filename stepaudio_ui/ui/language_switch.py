"""The language switch in the page header (English / 简体中文), and the script that starts the page in the right language.

Gradio picks the page's language once, from `navigator.language`, when the page starts, and translates the
`i18n()` labels then; a later change would re-translate labels but not buttons or Markdown. So the switch
stores the choice in the browser (localStorage) and reloads the page, and the head script below, which runs
before Gradio builds the page, presents the chosen language as the browser's. Without a choice the browser's
own language decides: any Chinese (`zh`, `zh-CN`, `zh-TW`, ...) gives the Chinese page, anything else English.
The script also puts the language in a cookie so that the server writes its messages in it (i18n.tr).

A reload loses what was typed and not saved, so when anything has been typed on the page the switch asks first.
"""

from __future__ import annotations

import gradio as gr

from stepaudio_ui.ui.i18n import COOKIE, js_texts

ELEM_ID = "language-switch"
CHOICES = [("English", "en"), ("简体中文", "zh")]  # each language named in itself, as language menus do
LABEL = "Language · 语言"  # both languages: whoever cannot read the page can still find the switch

HEAD_JS = (
    """
<script>
(() => {
  const KEY = '__COOKIE__';
  const TEXTS = __TEXTS__;
  let chosen = null;
  try { chosen = window.localStorage.getItem(KEY); } catch (error) { /* storage blocked: no saved choice */ }
  const browser = navigator.language || 'en';
  const saved = chosen === 'en' || chosen === 'zh';
  const language = saved ? chosen : (browser.toLowerCase().startsWith('zh') ? 'zh' : 'en');
  // Gradio's own words (e.g. "Use via API") follow this tag; zh-CN for every Chinese, as our texts are Simplified.
  const tag = language === 'zh' ? 'zh-CN' : (saved ? 'en' : browser);
  if (tag !== navigator.language) {
    Object.defineProperty(navigator, 'language', {configurable: true, get: () => tag});
    Object.defineProperty(navigator, 'languages', {configurable: true, get: () => [tag]});
  }
  const remember = (value) => {
    // Inside another site's frame (a Space's page) only a partitioned, secure cookie reaches the server.
    const framed = window.top !== window && location.protocol === 'https:';
    document.cookie = KEY + '=' + value + '; path=/; max-age=31536000; '
      + (framed ? 'SameSite=None; Secure; Partitioned' : 'SameSite=Lax');
  };
  remember(language);
  window.studioLanguage = language;
  window.studioEdited = false;
  document.addEventListener('input', (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (target && !target.closest('#__SWITCH__')) window.studioEdited = true;
  }, true);
  // The switch's handler: returns the language the switch should show (the old one when the reader cancels).
  window.studioSwitchLanguage = (next) => {
    if ((next !== 'en' && next !== 'zh') || next === language) return language;
    if (window.studioEdited && !window.confirm(TEXTS[language].confirm)) return language;
    try { window.localStorage.setItem(KEY, next); } catch (error) { /* then the choice lasts this reload only */ }
    remember(next);
    window.location.reload();
    return next;
  };
})();
</script>
""".replace("__COOKIE__", COOKIE)
    .replace("__SWITCH__", ELEM_ID)
    .replace("__TEXTS__", js_texts("lang."))
)


def build(demo: gr.Blocks) -> gr.Radio:
    """Lay out the switch where called; the page load shows the page's language on it."""
    switch = gr.Radio(CHOICES, value=None, label=LABEL, elem_id=ELEM_ID, elem_classes="language-switch")
    demo.load(None, None, [switch], js="() => window.studioLanguage || 'en'")
    switch.input(None, [switch], [switch], js="(next) => window.studioSwitchLanguage(next)")
    return switch
