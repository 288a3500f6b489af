"""The studio's words in English and Simplified Chinese (`en.json`, `zh.json`), and which one a page shows.

Two ways a word reaches the page:

- `i18n(key)` for what is fixed when the page is built (labels, buttons, tab names, info lines, hints):
  a Gradio `gr.I18n` marker that the browser translates into the page's language.
- `tr(key, **values)` for what a handler writes (status lines, errors, choices, table headers): the text
  in the language of the request being handled, with `values` filled in. Outside a request it is English.

The page's language is the one the reader picked with the switch in the header (`language_switch`), else
the browser's: Chinese for any `zh` browser language, English otherwise. The page tells the server in the
`studio-language` cookie; a client that sends none (an API caller) gets the language its Accept-Language
header asks for, else English.
"""

from __future__ import annotations

import json
import re
import string
from functools import cache
from importlib import resources
from typing import Any, Literal

import gradio as gr
from gradio.i18n import I18nData

Language = Literal["en", "zh"]
LANGUAGES: tuple[Language, ...] = ("en", "zh")
COOKIE = "studio-language"
# gr.I18n's marker: the browser swaps "__i18n__{...}" for the text of its key (one marker per string).
MARKER = re.compile(r'__i18n__\{"__type__": "translation_metadata", "key": "(?P<key>[^"]+)"\}')


@cache
def catalog(language: Language) -> dict[str, str]:
    """Every key and its text in `language` (read once from the packaged JSON file)."""
    text = (resources.files(__package__) / f"{language}.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


def translations() -> gr.I18n:
    """Both catalogs for Gradio: hand it to `gr.mount_gradio_app(i18n=...)` so the browser can translate markers."""
    return gr.I18n(**{language: catalog(language) for language in LANGUAGES})


def i18n(key: str) -> I18nData:
    """A word fixed when the page is built, translated by the browser. An unknown key fails at once."""
    if key not in catalog("en"):
        raise KeyError(f"no UI text {key!r} in stepaudio_ui/ui/i18n/en.json: add it there and in zh.json")
    return I18nData(key)


def tr(key: str, **values: Any) -> str:
    """`key`'s text in the language of the request being handled (English outside one), `values` filled in."""
    return text_in(current_language(), key, **values)


def text_in(language: Language, key: str, **values: Any) -> str:
    template = catalog(language).get(key) or catalog("en")[key]
    return template.format(**values) if values else template


def english(key: str, **values: Any) -> str:
    return text_in("en", key, **values)


def placeholders(template: str) -> set[str]:
    """The `{names}` a text expects (for the test that both languages fill in the same values)."""
    return {name for _literal, name, _spec, _conv in string.Formatter().parse(template) if name}


def resolved(shown: Any) -> str:
    """A label as the reader sees it: a marker (alone or inside a string) becomes its text in their language."""
    if isinstance(shown, I18nData):
        return tr(shown.key)
    return MARKER.sub(lambda match: tr(match["key"]), str(shown))


def current_language() -> Language:
    """The language of the Gradio request being handled; English when there is none."""
    from gradio.context import LocalContext  # Gradio sets it around every event handler, as for gr.Info

    request = LocalContext.request.get(None)
    return language_of(request) if request is not None else "en"


def language_of(request: Any) -> Language:
    """The `studio-language` cookie the page sets; else the first language of Accept-Language."""
    headers = getattr(request, "headers", None) or {}
    cookies = getattr(request, "cookies", None) or {}
    chosen = cookies.get(COOKIE) if hasattr(cookies, "get") else None
    if chosen in LANGUAGES:
        return chosen  # type: ignore[return-value]
    accepted = (headers.get("accept-language") or "").split(",")[0].strip().lower()
    return "zh" if accepted.startswith("zh") else "en"


def js_texts(prefix: str) -> str:
    """The texts under `prefix` ("live.mic.") in both languages, as a JSON object for a page script:
    {"en": {"name": text, ...}, "zh": {...}}; the script picks `window.studioLanguage`'s."""
    table = {
        language: {key.removeprefix(prefix): text for key, text in catalog(language).items() if key.startswith(prefix)}
        for language in LANGUAGES
    }
    return json.dumps(table, ensure_ascii=False)
