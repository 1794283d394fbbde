"""The article's language as a BCP-47 tag: what the page declares (<html lang>, Content-Language, og:locale,
JSON-LD inLanguage), else what its script shows (Han → zh, kana → ja, Hangul → ko, ...), else the source's.

No statistical detector: telling German from Dutch needs one (py3langid, as trafilatura uses), but a page
in a Latin script that declares nothing is read in the source's configured language instead, which is right
for a news site far more often than a guess on a short text."""

from __future__ import annotations

import re

from pipeline.metadata import PageMetadata

_SCRIPTS = [  # (language, characters of its script); checked in this order
    ("ja", re.compile(r"[\u3040-\u30ff]")),  # kana: Japanese even among Han characters
    ("ko", re.compile(r"[\uac00-\ud7af]")),
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
]
_LETTER = re.compile(r"[^\W\d_]")


_REGION_BY_CHARSET = {
    "gb18030": "zh-CN",
    "gbk": "zh-CN",
    "gb2312": "zh-CN",
    "big5": "zh-Hant",
    "big5hkscs": "zh-Hant",
}


def choose_lang(
    meta: PageMetadata, text: str, default: str | None, encoding: str | None = None
) -> str | None:
    """The page's declared language, unless its script says otherwise; else its script's language (with the
    tag a Chinese charset implies: GBK → zh-CN, Big5 → zh-Hant); else the source's."""
    script = script_language(text)
    if script == "zh" and encoding in _REGION_BY_CHARSET:
        script = _REGION_BY_CHARSET[encoding]
    for value in (
        meta.html_lang,
        meta.meta.get("content-language"),
        meta.meta.get("og:locale"),
        meta.ld_lang,
    ):
        tag = bcp47(value)
        if tag:
            primary = tag.split("-")[0]
            if script and script.split("-")[0] != primary and _CJK & {script.split("-")[0], primary}:
                return script  # a template's lang="en" on a page written in Chinese, or the reverse
            return tag
    fallback = bcp47(default)
    if script and (not fallback or script.split("-")[0] != fallback.split("-")[0]):
        return script
    return fallback


_CJK = {"zh", "ja", "ko"}


def script_language(text: str) -> str | None:
    """The language a text's script implies, when most of its letters are in that one script."""
    sample = text[:3000]
    letters = len(_LETTER.findall(sample))
    if letters < 20:
        return None
    for lang, pattern in _SCRIPTS:
        count = len(pattern.findall(sample))
        share = 0.05 if lang == "ja" else 0.3  # a few kana among Han characters make a text Japanese
        if count >= letters * share:
            return lang
    return None


def bcp47(value: str | None) -> str | None:
    """'zh_cn' → 'zh-CN', 'EN-us' → 'en-US', 'zh-hans-cn' → 'zh-Hans-CN'."""
    if not value:
        return None
    parts = re.split(r"[-_]", value.strip().split(",")[0].strip())
    if not re.fullmatch(r"[A-Za-z]{2,3}", parts[0]):
        return None
    tag = [parts[0].lower()]
    for part in parts[1:]:
        if re.fullmatch(r"[A-Za-z]{4}", part):
            tag.append(part.title())
        elif re.fullmatch(r"[A-Za-z]{2}|\d{3}", part):
            tag.append(part.upper())
        elif re.fullmatch(r"[A-Za-z0-9]{5,8}", part):
            tag.append(part.lower())
        else:
            break
    return "-".join(tag)
