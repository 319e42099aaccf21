"""The label table: every string in both languages, same placeholders, lookups that fail loudly."""
from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from dashboard.labels import LABELS, LANGS, escape_markdown, pick, pick_col, t

DASHBOARD = Path(__file__).resolve().parent.parent / "dashboard"


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


@pytest.mark.parametrize("key", sorted(LABELS))
def test_every_label_has_both_languages(key):
    vi, en = LABELS[key]
    assert isinstance(vi, str) and vi.strip(), f"{key}: empty Vietnamese label"
    assert isinstance(en, str) and en.strip(), f"{key}: empty English label"


@pytest.mark.parametrize("key", sorted(LABELS))
def test_both_languages_use_the_same_placeholders(key):
    vi, en = LABELS[key]
    assert _fields(vi) == _fields(en), f"{key}: vi {_fields(vi)} vs en {_fields(en)}"
    for name in _fields(vi):
        assert name.isidentifier(), f"{key}: placeholder {{{name}}} must be a plain name"


@pytest.mark.parametrize("key", sorted(LABELS))
def test_every_label_formats(key):
    kwargs = {name: "X" for name in _fields(LABELS[key][0])}
    for lang in LANGS:
        assert t(key, lang, **kwargs)


def test_keys_are_dotted_lowercase_names():
    for key in LABELS:
        assert re.fullmatch(r"[a-z]+(\.[a-z0-9_]+)+", key), key


@pytest.mark.parametrize("key, vi, en", [
    ("app.title", "Chuyển đổi số dịch vụ khách hàng – PC Phú Yên", None),
    ("page.overview", "Tổng quan", "Overview"),
    ("page.branch", "Điện lực", "Branch"),
    ("page.adoption", "Số hóa khách hàng", "Digital adoption"),
    ("page.metering", "Ghi chỉ số từ xa và hóa đơn tạm tính", "Remote reading and estimated bills"),
    ("page.payments", "Thanh toán trực tuyến", "Online payment"),
    ("page.services", "Dịch vụ trực tuyến", "Online service requests"),
    ("page.sql", "SQL", "SQL"),
    ("page.data", "Dữ liệu", "Data"),
    ("cmp.prev_month", "Kỳ trước", "Previous period"),
    ("cmp.prev_year", "Cùng kỳ năm trước", "Same period last year"),
    ("cmp.target", "Kế hoạch", "Target"),
    ("empty.no_rows", "Không có dữ liệu cho bộ lọc này", "No rows for these filters"),
])
def test_labels_directors_expect(key, vi, en):
    assert t(key, "vi") == vi
    if en is not None:
        assert t(key, "en") == en


def test_page_required_keys_exist():
    required = [
        "control.branches", "control.period_from", "control.period_to", "control.comparison",
        "control.language", "control.copy_link", "status.on_target", "status.near", "status.behind",
        "banner.version_not_kept", "footer.line", "misses.sentence", "misses.item", "download.csv",
        "download.excel", "tile.error", "mode.local",
    ]
    assert [k for k in required if k not in LABELS] == []


def test_t_formats_placeholders():
    assert t("tile.error", "vi", file="payments_by_channel.sql", error="boom") == \
        "Truy vấn payments_by_channel.sql lỗi: boom"
    assert t("tile.error", "en", file="a.sql", error="x") == "Query a.sql failed: x"


def test_unknown_key_raises():
    with pytest.raises(KeyError):
        t("no.such.key", "vi")


def test_unknown_language_raises():
    with pytest.raises(ValueError):
        t("page.overview", "fr")


def test_missing_placeholder_value_raises():
    with pytest.raises(KeyError):
        t("tile.error", "en", file="a.sql")


def test_substituted_values_are_not_formatted_again():
    text = t("notice.branch_unknown", "en", param="branch", value="{0.__class__} {x}")
    assert "{0.__class__} {x}" in text


def test_pick_and_pick_col():
    assert pick("vi", "Tỷ lệ", "Share") == "Tỷ lệ"
    assert pick("en", "Tỷ lệ", "Share") == "Share"
    assert pick_col({"label_vi": "A", "label_en": "B"}, "label", "en") == "B"
    with pytest.raises(ValueError):
        pick("xx", "a", "b")


@pytest.mark.parametrize("raw, escaped", [
    ("<script>alert(1)</script>", r"\<script\>alert\(1\)\</script\>"),
    (":red[boom]", r"\:red\[boom\]"),
    ("$x$ **b** `c`", r"\$x\$ \*\*b\*\* \`c\`"),
    ("Tuy Hòa", "Tuy Hòa"),
])
def test_escape_markdown(raw, escaped):
    assert escape_markdown(raw) == escaped


def test_every_literal_label_key_used_in_the_code_exists():
    """t("some.key", ...) in any dashboard module must name a key of the table."""
    used: dict[str, str] = {}
    pattern = re.compile(r"""\bt\(\s*["']([a-z]+(?:\.[a-z0-9_]+)+)["']""")
    for path in DASHBOARD.rglob("*.py"):
        for key in pattern.findall(path.read_text(encoding="utf-8")):
            used.setdefault(key, str(path.relative_to(DASHBOARD)))
    missing = {k: f for k, f in used.items() if k not in LABELS}
    assert missing == {}, f"label keys used but not in dashboard/labels.py: {missing}"
