"""Every code the pages and the CLI's tables show has a word in both languages, in one
place (the pages' i18n files); the CLI's tables show the words, --json the codes."""

from __future__ import annotations

import json
import re

import pytest

from callcenter.callbacks.importer import Rejection
from callcenter.cli.main import render_json, render_table
from callcenter.core import labels
from callcenter.domain.callbacks import IMPORT_REJECTIONS, LABELS_ZH

# A half-width mark right after a Chinese character (a Chinese text wants ，。：；？！（）).
HALF_WIDTH_AFTER_CJK = re.compile(r"[\u4e00-\u9fff][,.:;?!()]")


@pytest.mark.parametrize("lang", labels.LANGS)
def test_every_code_has_a_word(lang: str) -> None:
    missing = [(kind, code) for kind, codes in labels.CODE_SETS.items() for code in codes
               if not labels.lookup(kind, code, lang)]
    assert missing == []


def test_no_word_is_its_code_and_chinese_words_are_chinese() -> None:
    for kind, codes in labels.CODE_SETS.items():
        for code in codes:
            zh = labels.label(kind, code, "zh-CN")
            assert zh != code and re.search(r"[\u4e00-\u9fff]", zh), (kind, code, zh)
            assert labels.label(kind, code, "en") != code, (kind, code)


def test_outcome_words_agree_with_the_domains_chinese() -> None:
    for outcome, word in LABELS_ZH.items():
        assert labels.label("outcome", outcome.value, "zh-CN") == word


def test_chinese_word_files_use_full_width_punctuation() -> None:
    bad = []
    for path in sorted(labels.I18N.glob("*zh-CN.json")):
        for key, value in _strings(json.loads(path.read_text(encoding="utf-8"))):
            if HALF_WIDTH_AFTER_CJK.search(value.replace("...", "…")):
                bad.append((path.name, key, value))
    assert bad == []


def _strings(data: object, key: str = "") -> list[tuple[str, str]]:
    if isinstance(data, dict):
        return [pair for k, v in data.items() for pair in _strings(v, f"{key}.{k}")]
    return [(key, data)] if isinstance(data, str) else []


def test_the_pages_helper_knows_the_same_prefixed_kinds() -> None:
    js = (labels.I18N.parent / "common.js").read_text(encoding="utf-8")
    found = dict(re.findall(r'(\w+): "(\w+_)"', js.split("PREFIXED", 1)[1].split("}", 1)[0]))
    assert found == dict(labels.PREFIXED)


def test_cli_tables_show_words_json_keeps_codes() -> None:
    rows = [{"id": 1, "status": "paused", "outcome": "not_exist", "reason": "late_answer"},
            {"id": 2, "status": "awaiting_outcome", "outcome": None, "reason": "typed by hand"}]
    zh = render_table(rows, "zh-CN")
    assert "已暂停" in zh and "空号" in zh and "超时接听" in zh and "待录入结果" in zh
    assert "typed by hand" in zh  # free text passes through
    assert not re.search(r"\b(paused|not_exist|late_answer|awaiting_outcome)\b", zh)
    en = render_table(rows, "en")
    assert "Paused" in en and "Number does not exist" in en
    assert json.loads(render_json(rows))[0]["outcome"] == "not_exist"


def test_every_import_rejection_has_an_english_reason_and_templates_name_only_their_fields() -> None:
    for code in IMPORT_REJECTIONS:
        assert Rejection(2, code, "name", "7").reason  # a sentence for the CLI and the API
        for lang in labels.LANGS:
            template = labels.label("import_rejection", code, lang)
            assert set(re.findall(r"\{(\w+)\}", template)) <= {"column", "detail"}, template
