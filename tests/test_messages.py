"""Every word the tool says, in Vietnamese and in English (OCOP_LANG, else the locale)."""
from __future__ import annotations

import re
import string

import pytest
from babel.messages.pofile import read_po

from conftest import TODAY, ocop, ocop_process
from generator.commands.catalogs import extract_tool, tool_untranslated
from generator.errors import LOCALES, tool_language

LINE = re.compile(r"^[^\s:][^:]*:\d+:\d+: (error|warning): (.+)$")


def test_every_message_of_the_tool_has_its_vietnamese():
    assert tool_untranslated() == {"vi": []}, "run make messages, then translate generator/locales/vi/…/ocop.po"


def test_a_translation_fills_in_no_value_the_message_does_not_have():
    with (LOCALES / "vi" / "LC_MESSAGES" / "ocop.po").open("rb") as f:
        catalog = read_po(f, locale="vi")
    names = lambda text: {name for _, name, _, _ in string.Formatter().parse(text) if name}     # noqa: E731
    ids = {m.id for m in extract_tool() if m.id}
    for message in catalog:
        if message.id in ids:
            assert names(message.string) <= names(message.id), message.id       # (and its braces pair up)


@pytest.mark.parametrize("env, expected", [({"OCOP_LANG": "vi"}, "vi"), ({"OCOP_LANG": "en", "LANG": "vi_VN.UTF-8"}, "en"),
                                           ({"LANG": "vi_VN.UTF-8"}, "vi"), ({"LC_ALL": "vi_VN", "LANG": "en_US"}, "vi"),
                                           ({"LC_MESSAGES": "en_GB.UTF-8", "LANG": "vi_VN"}, "en"),
                                           ({"LANG": "fr_FR.UTF-8"}, "en"), ({}, "en"), ({"OCOP_LANG": "ko"}, "en")])
def test_the_language_is_ocop_lang_else_the_locale_else_english(monkeypatch, env, expected):
    for name in ("OCOP_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert tool_language() == expected


# A dozen sites broken as editors break them: (file, what to do to it, the English words, the Vietnamese)
BROKEN = [
    ("products/tea.yaml", lambda t: t.replace("category: herbal", "category: thuoc"),
     "'category' must be", "'category' phải là"),
    ("products/tea.yaml", lambda t: t.replace("name: Trà dây", "name: ''"), "and it is empty", "nhưng đang trống"),
    ("products/tea.yaml", lambda t: t.replace("commune: dak-koi", "commune: Đăk Kôi"), "is not a commune id",
     "không phải mã xã"),
    ("products/tea.yaml", lambda t: t + "gia: 90000\n", "keys are written in English; write price:",
     "tên khóa viết bằng tiếng Anh; hãy viết price:"),
    ("products/tea.yaml", lambda t: t + "price: {min: 90000, max: 50000}\n", "is below 'min'", "nhỏ hơn 'min'"),
    ("products/tea.yaml", lambda t: t.replace("category: herbal", "\tcategory: herbal"), "a tab character",
     "có ký tự tab"),
    ("products/tea.yaml", lambda t: t + "name: Trà\n", "duplicate key 'name'", "khóa 'name' bị lặp"),
    ("products/tea.yaml", lambda t: t + "producer: {name: X, phone: abc}\n", "duplicate key", "bị lặp"),
    ("products/tea.yaml", lambda t: t.replace("name: Trà dây", "name: Trà dây: rừng"), "invalid YAML",
     "YAML không hợp lệ"),
    ("products/decisions/district-2022.yaml", lambda t: t.replace("2022-", "2022/", 1), "must be a date",
     "phải là ngày"),
    ("products/decisions/district-2022.yaml", lambda t: t.replace("stars: 3", "stars: 6", 1), "stars must be 3, 4 or 5",
     "số sao phải là 3, 4 hoặc 5"),
    ("site.yaml", lambda t: re.sub(r"base_url: .*", "base_url: ocop.example.vn", t), "'base_url' must be",
     "'base_url' phải là"),
    ("content/communes.yaml", lambda t: t.replace("merged_into: dak-rve", "merged_into: dak-xyz"),
     "no commune 'dak-xyz'", "không có xã 'dak-xyz'"),
]


@pytest.mark.parametrize("path, edit, english, vietnamese", BROKEN, ids=[f"{i}-{case[0]}" for i, case in enumerate(BROKEN)])
def test_a_broken_site_is_told_in_both_languages(site, monkeypatch, path, edit, english, vietnamese):
    file = site / path
    before = file.read_text(encoding="utf-8")
    file.write_text(edit(before), encoding="utf-8")
    assert file.read_text(encoding="utf-8") != before
    said = {}
    for lang in ("en", "vi"):
        monkeypatch.setenv("OCOP_LANG", lang)
        result = ocop("check", "--strict", "--site", site, "--today", TODAY)     # (warnings too)
        assert result.code == 1, result
        lines = [line for line in result.err.splitlines() if LINE.match(line)]
        assert lines and all(LINE.match(line) for line in result.err.splitlines()[:-1]), result.err
        said[lang] = result.err
    assert english in said["en"] and vietnamese not in said["en"], said["en"]
    assert vietnamese in said["vi"] and english not in said["vi"], said["vi"]
    # the words tools read stay in English; the paths and places are the same
    places = lambda text: [LINE.match(line) and line.split(": ")[0] for line in text.splitlines()]      # noqa: E731
    assert places(said["en"]) == places(said["vi"])
    assert said["vi"].splitlines()[-1] == said["en"].splitlines()[-1].replace("nothing was written", "").replace(
        "ocop: ", "ocop: ") or said["vi"].splitlines()[-1].endswith("không ghi gì cả")


def test_help_and_command_line_mistakes_in_vietnamese(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "LANG": "vi_VN.UTF-8"}
    shown = ocop_process("build", "--help", env=env)
    assert shown.returncode == 0 and "cách dùng: ocop build" in shown.stdout and "tùy chọn" in shown.stdout
    assert "kiểm tra, rồi dựng" not in shown.stdout and "thư mục trang (mặc định" in shown.stdout
    wrong = ocop_process("build", "--site", tmp_path / "nowhere", env=env)
    assert wrong.returncode == 2 and wrong.stderr.startswith("ocop: error: không có thư mục trang tại"), wrong.stderr
    missing = ocop_process("stamps", env=env)
    assert missing.returncode == 2 and "ocop stamps: error: còn thiếu: product" in missing.stderr, missing.stderr
    english = ocop_process("stamps", env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
    assert "ocop stamps: error: these are needed: product" in english.stderr, english.stderr


def test_what_a_build_says_when_it_succeeds_in_vietnamese(site, monkeypatch):
    monkeypatch.setenv("OCOP_LANG", "vi")
    built = ocop("build", "--site", site, "--today", TODAY)
    assert built.code == 0 and re.search(r"đã dựng .+ trong [\d.]+ giây \(0 lỗi, \d+ cảnh báo\)", built.out), built.out
    checked = ocop("check", "--site", site, "--today", TODAY)
    assert checked.code == 0 and "trang hợp lệ" in checked.out and "đã dịch: en" in checked.out, checked.out
