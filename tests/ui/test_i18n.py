"""The UI's texts (stepaudio_ui/ui/i18n/en.json, zh.json): complete in both languages, used, and used everywhere.

Static checks, no browser: every key is in both catalogs with the same `{values}`; the Chinese is Chinese;
every key the code names exists and every catalog key is named by the code; no component in ui/*.py gets a
raw English label, info line, placeholder, button text or Markdown where a catalog key belongs.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from starlette.requests import Request

from stepaudio_ui.live.view import LATENCY_STAGES
from stepaudio_ui.ui.i18n import LANGUAGES, catalog, english, i18n, language_of, placeholders, resolved, tr

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "stepaudio_ui" / "ui"
CODE = [
    *UI.glob("*.py"),
    *(
        ROOT / "stepaudio_ui" / name
        for name in ("live/handler.py", "live/opening.py", "live/view.py", "bench/live_browser.py")
    ),
]
# Calls that name a catalog key: i18n("k"), tr("k", ...), english("k"), text_in(language, "k"), _notice("k", ...), notice("k", ...).
KEY_CALLS = "i18n|tr|english|text_in|_notice|notice"
JS_PREFIXES = ("lang.", "live.mic.", "live.announce.")  # read by page scripts (i18n.js_texts)
SAME_IN_BOTH = {"live.status.engine_error"}  # "⚠️ {error}": nothing to translate
# Components whose text arguments the static check reads, and which arguments those are.
TEXT_KEYWORDS = {"label", "info", "placeholder"}
FIRST_ARGUMENT_IS_TEXT = {"Button", "Markdown", "Tab", "Accordion", "HTML"}


def _named(calls: str | None) -> tuple[set[str], list[re.Pattern[str]]]:
    """The keys the code names in calls to `calls` (None: in any string literal), and the patterns of the
    keys it builds in f-strings (f"editor.{kind}.new" -> editor.[^.]+.new)."""
    prefix = rf"""\b(?:{calls})\(\s*(?:[^,()"']+,\s*)?""" if calls else ""
    quoted = re.compile(prefix + r"""(f?)(["'])([a-z][a-z0-9_]*(?:\.[a-z0-9_{}]+)+)\2""")
    literal, built = set(), []
    for path in CODE:
        for is_f, _quote, key in quoted.findall(path.read_text(encoding="utf-8")):
            if is_f and "{" in key:
                built.append(re.compile(re.sub(r"\\\{[^}]*\\\}", "[^.]+", re.escape(key)) + "$"))
            else:
                literal.add(key)
    return literal, built


def test_both_languages_have_every_key_with_the_same_values() -> None:
    english_texts, chinese_texts = catalog("en"), catalog("zh")
    assert set(english_texts) == set(chinese_texts), set(english_texts) ^ set(chinese_texts)
    for key, text in english_texts.items():
        assert text.strip() and chinese_texts[key].strip(), key
        assert placeholders(text) == placeholders(chinese_texts[key]), key


def test_the_chinese_texts_are_chinese() -> None:
    han = re.compile(r"[\u4e00-\u9fff]")
    untranslated = [key for key, text in catalog("zh").items() if not han.search(text) and key not in SAME_IN_BOTH]
    assert not untranslated
    assert not re.search(r"[\u4e00-\u9fff]", "".join(catalog("en").values()))


def test_every_key_the_code_names_exists_and_every_key_is_named() -> None:
    known = set(catalog("en"))
    literal, built = _named(KEY_CALLS)
    assert literal - known == set()
    for pattern in built:
        assert any(pattern.match(key) for key in known), pattern.pattern
    anywhere, built_anywhere = _named(None)  # also keys kept in tables (file formats, traits)
    patterns = built + built_anywhere
    unused = {
        key for key in known - anywhere if not key.startswith(JS_PREFIXES) and not any(p.match(key) for p in patterns)
    }
    assert not unused


def test_texts_the_browser_translates_are_plain() -> None:
    """i18n() markers are translated in the page by an ICU message formatter, without values: the texts
    markers name have no `{value}`, and no text without values holds ICU syntax (`{}`, `<>`)."""
    marked, _built = _named("i18n")
    for key in marked:
        assert not placeholders(english(key)), key
    for language in LANGUAGES:
        for key, text in catalog(language).items():
            if not placeholders(catalog("en")[key]):
                assert not re.search(r"[{}<>]", text), (language, key)


def test_no_component_gets_a_raw_english_text() -> None:
    """A label, info line, placeholder, button, tab, accordion or Markdown written as a plain string literal."""
    raw = []
    for path in sorted(UI.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if not (isinstance(node.func.value, ast.Name) and node.func.value.id == "gr"):
                continue
            texts = [kw.value for kw in node.keywords if kw.arg in TEXT_KEYWORDS]
            if node.func.attr in FIRST_ARGUMENT_IS_TEXT and node.args:
                texts.append(node.args[0])
            raw += [f"{path.name}:{text.lineno}" for text in texts if _is_words(text)]
    assert not raw


def _is_words(node: ast.expr) -> bool:
    """A string literal (or an f-string's literal parts) with a word in it."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(re.search(r"[A-Za-z]{2}", node.value))
    if isinstance(node, ast.JoinedStr):
        return any(_is_words(part) for part in node.values if isinstance(part, ast.Constant))
    return False


def test_no_english_text_is_written_out_where_its_key_exists() -> None:
    """Any string literal in ui/*.py that is a whole English catalog text (of more than one word)."""
    texts = {text for text in catalog("en").values() if " " in text}
    found = []
    for path in sorted(UI.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in texts:
                found.append(f"{path.name}:{node.lineno}: {node.value}")
    assert not found


def test_the_latency_stages_keep_their_english_names() -> None:
    assert [english(f"live.latency.stage.{index}") for index in range(len(LATENCY_STAGES))] == [
        label for label, _colour in LATENCY_STAGES
    ]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([(b"cookie", b"studio-language=zh"), (b"accept-language", b"en-US,en;q=0.9")], "zh"),
        ([(b"cookie", b"studio-language=en"), (b"accept-language", b"zh-CN,zh;q=0.9")], "en"),
        ([(b"cookie", b"studio-language=fr"), (b"accept-language", b"zh-TW,zh;q=0.9")], "zh"),
        ([(b"accept-language", b"en-GB,zh;q=0.5")], "en"),
        ([(b"accept-language", b"zh")], "zh"),
        ([], "en"),
    ],
)
def test_the_server_writes_in_the_language_the_page_asks_for(headers: list[tuple[bytes, bytes]], expected: str) -> None:
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": headers})
    assert language_of(request) == expected


def test_outside_a_request_texts_are_english_and_markers_resolve() -> None:
    assert tr("editor.saved", name="Nova", number=3) == "Saved Nova as v3."
    assert resolved(i18n("persona.greeting")) == "Greeting"
    assert resolved(f"A: {i18n('ab.persona')}") == "A: persona"
    with pytest.raises(KeyError, match="zh.json"):
        i18n("no.such.key")
