"""The director pack: one A4 page per file with selectable Vietnamese text and vector charts; the same figures as
the overview and branch pages for the same link (read from what AppTest renders); both languages; the command
line's file names and refusals; provisional marks; the download button on both pages. The packs are made once per
session (one kept Chromium draws every chart) and rendered to PNG in test-artifacts/pack/ to be looked at."""
from __future__ import annotations

import datetime as dt
import io
import re
import shutil
from pathlib import Path

import duckdb
import pypdfium2
import pytest
from pypdf import PdfReader

from dashboard import cli, config, formats, pack, warehouse
from dashboard.labels import t
from tests.test_views import open_page, plain

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts" / "pack"
TO = "2020-08"
PERIOD = dt.date(2020, 8, 1)
BRANCH = "PC08FF"  # Sông Hinh: the "done when"
A4 = (595.28, 841.89)  # points


def run_cli(data_dir: Path, *args: str) -> int:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DASHBOARD_DATA_DIR", str(data_dir))
        try:
            return cli.main(["pack", *args])
        except SystemExit as exc:  # argparse refusals
            return exc.code


def text_of(pdf: Path | bytes) -> str:
    """The page's extracted text, every run of whitespace one space (labels wrap inside cards)."""
    reader = PdfReader(pdf if isinstance(pdf, Path) else io.BytesIO(pdf))
    return " ".join(reader.pages[0].extract_text().split())


def in_order(text: str, expected: list[str]) -> None:
    """Each expected string found in the text after the previous one (the page's reading order)."""
    at = 0
    for item in expected:
        found = text.find(" ".join(item.split()), at)
        assert found >= 0, f"{item!r} not found after position {at}: …{text[at:at + 200]}…"
        at = found + len(item)


@pytest.fixture(scope="session")
def packs(sample_data_dir, tmp_path_factory) -> dict[str, Path]:
    """The session's packs, made through the command line: Sông Hinh's in Vietnamese, the company's in English
    against last year, Sông Hinh's in English against the target; each also kept as a PNG."""
    out = tmp_path_factory.mktemp("packs")
    assert run_cli(sample_data_dir, "--to", TO, "--branch", BRANCH, "--out", str(out)) == 0
    assert run_cli(sample_data_dir, "--to", TO, "--branch", "PC08", "--lang", "en", "--cmp", "prev_year",
                   "--out", str(out)) == 0
    assert run_cli(sample_data_dir, "--to", TO, "--branch", BRANCH.lower(), "--lang", "en", "--cmp", "target",
                   "--out", str(out)) == 0
    files = {p.name: p for p in sorted(out.glob("*.pdf"))}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for path in files.values():
        page = pypdfium2.PdfDocument(str(path))[0]
        page.render(scale=2).to_pil().save(ARTIFACTS / f"{path.stem}.png")
    return files


# ---------------------------------------------------------------- files, pages, text


def test_the_default_is_one_file_per_branch_and_the_company(sample_data_dir, sample_warehouse, tmp_path,
                                                            monkeypatch, capsys):
    made = []
    monkeypatch.setattr(pack, "pdf_bytes", lambda source, spec: made.append(spec) or b"%PDF-1.7 stub")
    assert run_cli(sample_data_dir, "--to", TO, "--out", str(tmp_path)) == 0
    con = warehouse.connect(sample_warehouse.path)
    codes = [c for (c,) in con.execute("select branch_code from branches order by 1").fetchall()]
    con.close()
    names = [f"bao-cao_{c}_{TO}.pdf" for c in ["PC08", *codes]]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)
    assert capsys.readouterr().out.split() == [str(tmp_path / n) for n in names]
    assert {(s.period, s.cmp, s.lang) for s in made} == {(PERIOD, "prev_month", "vi")}


def test_the_made_packs_are_named_for_what_and_when(packs):
    assert sorted(packs) == sorted([f"bao-cao_{BRANCH}_{TO}.pdf", f"report_PC08_{TO}.pdf", f"report_{BRANCH}_{TO}.pdf"])


@pytest.mark.parametrize("branch, lang, name", [("PC08AA", "vi", "bao-cao_PC08AA_2020-08.pdf"),
                                                ("PC08AA", "en", "report_PC08AA_2020-08.pdf"),
                                                (None, "vi", "bao-cao_PC08_2020-08.pdf"),
                                                (None, "en", "report_PC08_2020-08.pdf")])
def test_file_names_say_what_and_when(branch, lang, name):
    assert pack.file_name(branch, PERIOD, lang) == name == pack.PackSpec(PERIOD, branch, lang=lang).file_name


def test_every_pack_is_exactly_one_a4_page(packs):
    for name, path in packs.items():
        reader = PdfReader(path)
        assert len(reader.pages) == 1, name
        box = reader.pages[0].mediabox
        assert (float(box.width), float(box.height)) == pytest.approx(A4, abs=0.5), name


def test_text_is_selectable_vietnamese_in_an_embedded_noto_font(packs):
    path = packs[f"bao-cao_{BRANCH}_{TO}.pdf"]
    text = text_of(path)
    for words in (t("pack.title", "vi"), "Điện lực Sông Hinh (PC08FF)", "Kỳ 08/2020", t("app.company", "vi").upper(),
                  "Tỷ lệ KH nhận thông báo qua Zalo", "Thời gian giải quyết"):
        assert words in text
    page = PdfReader(path).pages[0]
    fonts = {str(f.get_object()["/BaseFont"]) for f in page["/Resources"]["/Font"].values()}
    assert fonts and all("Noto" in f for f in fonts), fonts


def test_charts_are_vector_with_their_text(packs):
    path = packs[f"bao-cao_{BRANCH}_{TO}.pdf"]
    page = PdfReader(path).pages[0]
    assert not page.images, "charts are drawn as vectors, not pictures"
    text = text_of(path)
    # the four family trends: titles, month ticks, the legend and an event label are text too
    for words in ("Tỷ lệ KH sử dụng App CSKH", "Tỷ lệ ghi chỉ số từ xa", "Tỷ lệ TT không dùng tiền mặt (KH)",
                  "Tỷ lệ yêu cầu dịch vụ trực tuyến", "T8/2020", t("chart.target", "vi"), "Điện lực Sông Hinh"):
        assert words in text
    assert text.count(t("chart.target", "vi")) >= 4


# ---------------------------------------------------------------- the same figures as the pages


def link(branch: str | None, lang: str, cmp: str) -> dict[str, str]:
    return {**({"branch": branch} if branch else {}), "to": TO, "cmp": cmp, "lang": lang}


CASES = [(BRANCH, "vi", "prev_month", f"bao-cao_{BRANCH}_{TO}.pdf"),
         (None, "en", "prev_year", f"report_PC08_{TO}.pdf"),
         (BRANCH, "en", "target", f"report_{BRANCH}_{TO}.pdf")]


@pytest.mark.parametrize("branch, lang, cmp, name", CASES)
def test_cards_and_headline_equal_the_overview_for_the_same_link(sample_env, packs, branch, lang, cmp, name):
    at = open_page("overview", link(branch, lang, cmp))
    assert not at.exception and not at.error
    text = text_of(packs[name])
    shown = [(m.label, m.value, m.delta) for m in at.metric]
    assert len(shown) == 18
    expected = []
    for label, value, delta in shown:
        expected += [label, value] + ([delta] if delta else [])
    in_order(text, expected)
    when = formats.fmt_period(PERIOD, lang) + ":"  # the headline opens 'Kỳ T8/2020: …' / 'Aug 2020: …'
    [headline] = [plain(m.value).strip("*") for m in at.markdown if plain(m.value).startswith("**") and when in plain(m.value)]
    assert " ".join(headline.split()) in text
    assert t("pack.compared_with", lang, cmp=t(f"cmp.{cmp}", lang)) in text


@pytest.mark.parametrize("branch, lang, cmp, name", [c for c in CASES if c[0]])
def test_ranks_equal_the_branch_page_for_the_same_link(sample_env, packs, branch, lang, cmp, name):
    at = open_page("branch", link(branch, lang, cmp))
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    shown = list(zip(table[t("col.kpi", lang)], table[t("col.value", lang)], table[t("col.rank", lang)]))
    text = text_of(packs[name])
    expected = []
    for label, value, rank in shown:  # the page's table and the pack's cards list the KPIs in one order
        expected += [label, value] + ([t("pack.rank", lang, rank=rank)] if rank != formats.MISSING else [])
    in_order(text, expected)
    assert sum(r != formats.MISSING for _, _, r in shown) == len(re.findall(t("pack.rank", lang, rank=r"\d+/\d+"), text))


def test_the_company_pack_has_no_ranks_and_names_the_data_version(packs, sample_warehouse):
    text = text_of(packs[f"report_PC08_{TO}.pdf"])
    assert "Rank " not in text
    assert sample_warehouse.version in text
    con = warehouse.connect(sample_warehouse.path)
    built_at, latest = con.execute("select built_at, latest_period from data_version").fetchall()[0]
    con.close()
    assert formats.fmt_datetime(formats.as_utc(built_at), "en") in text
    assert formats.fmt_period(latest, "en") in text
    # the published calibration figures of the period, in English formats
    assert t("pack.title", "en") in text and t("metric.company", "en") in text


def test_packs_are_kept_as_png_to_look_at(packs):
    for path in packs.values():
        png = ARTIFACTS / f"{path.stem}.png"
        assert png.stat().st_size > 50_000, png
    from PIL import Image

    image = Image.open(ARTIFACTS / f"bao-cao_{BRANCH}_{TO}.png").convert("L")
    assert image.size == (1191, 1684)
    # ink on the upper and the lower half: cards above, charts below (not a blank or cut page)
    top, bottom = image.crop((0, 0, 1191, 842)), image.crop((0, 842, 1191, 1684))
    assert min(top.getextrema()) < 100 and min(bottom.getextrema()) < 100


# ---------------------------------------------------------------- the command line refuses


@pytest.mark.parametrize("args, message", [
    (["--to", "2020-8"], "is not a period YYYY-MM"),
    (["--to", "August"], "is not a period YYYY-MM"),
    (["--to", "2020-13"], "is not a period YYYY-MM"),
    (["--to", "2031-01"], "no data for 2031-01"),
    (["--to", TO, "--branch", "PC08ZZ"], "unknown branch 'PC08ZZ'"),
    (["--to", TO, "--branch", "PC08AA", "XX"], "unknown branch 'XX'"),
    (["--to", TO, "--lang", "fr"], "invalid choice: 'fr'"),
    (["--to", TO, "--cmp", "yesterday"], "invalid choice: 'yesterday'"),
    ([], "the following arguments are required: --to"),
])
def test_bad_input_exits_2_with_a_message_and_writes_nothing(sample_data_dir, tmp_path, capsys, args, message):
    assert run_cli(sample_data_dir, *args, "--out", str(tmp_path / "out")) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_no_published_data_exits_2(tmp_path, capsys):
    assert run_cli(tmp_path, "--to", TO, "--out", str(tmp_path / "out")) == 2
    err = capsys.readouterr().err
    assert "no published data" in err and str(tmp_path) in err and "dashboard build" in err


def test_a_version_no_longer_kept_exits_2(sample_data_dir, tmp_path, capsys):
    assert run_cli(sample_data_dir, "--to", TO, "--data-version", "20200101T000000Z-abcdef",
                   "--out", str(tmp_path)) == 2
    assert "is not kept" in capsys.readouterr().err


# ---------------------------------------------------------------- provisional marks


PROVISIONAL_SQL = """-- title: Số liệu tạm tính
-- title_en: Provisional marks
-- grain: one row per branch, period and check
-- params: period_from, period_to, branches
-- columns: branch_code, period, check_name, kpi, message_vi, message_en
select branch_code, period, check_name, kpi, message_vi, message_en
from provisional
where period between $period_from and $period_to
  and list_contains($branches, branch_code)
order by period, branch_code, check_name
"""


def published_copy(published: warehouse.Published, data: Path, sql: list[tuple[str, list]]) -> Path:
    """A data directory publishing a copy of `published` changed by `sql` (statement, parameters)."""
    target = warehouse.new_version_path(published.version, data)
    shutil.copyfile(published.path, target)
    con = duckdb.connect(str(target))
    for statement, params in sql:
        con.execute(statement, params)
    con.close()
    warehouse.publish(target, data)
    return data


@pytest.fixture(scope="session")
def provisional(sample_warehouse, tmp_path_factory):
    """(marked, older, queries): a copy of the sample warehouse whose `provisional` table (issue 9's contract)
    marks all of Sông Hinh's period, and every other branch's app share with a message of its own; a copy built
    before the table existed; a queries folder with provisional_marks.sql (the project's own when there is one)."""
    root = tmp_path_factory.mktemp("provisional")
    marked = published_copy(sample_warehouse, root / "marked", [
        ("create table if not exists provisional (branch_code varchar, period date, check_name varchar, "
         "kpi varchar, message_vi varchar, message_en varchar)", []),
        ("delete from provisional", []),
        ("insert into provisional (branch_code, period, check_name, message_vi, message_en) values (?, ?, ?, ?, ?)",
         [BRANCH, PERIOD, "few_bills", "Điện lực Sông Hinh chỉ có 12 hóa đơn T8/2020",
          "Sông Hinh has only 12 bills for Aug 2020"]),
        ("insert into provisional (branch_code, period, check_name, kpi, message_vi, message_en) "
         "select branch_code, ?, 'kpi_jump', 'app_share', 'Biến động lớn ' || branch_code, "
         "'Large jump at ' || branch_code from branches where branch_code <> ?", [PERIOD, BRANCH]),
    ])
    older = published_copy(sample_warehouse, root / "older", [("drop table if exists provisional", [])])
    folder = root / "queries"
    shutil.copytree(config.QUERIES_DIR, folder)
    if not (folder / "provisional_marks.sql").exists():
        (folder / "provisional_marks.sql").write_text(PROVISIONAL_SQL, encoding="utf-8")
    return marked, older, folder


def test_provisional_figures_are_marked_with_the_message(provisional, monkeypatch):
    data, _, folder = provisional
    monkeypatch.setattr(config, "QUERIES_DIR", folder)
    with pack.open_warehouse(data_dir=data) as source:
        text = text_of(pack.pdf_bytes(source, pack.PackSpec(PERIOD, BRANCH, lang="en")))
        assert text.count(t("pack.provisional", "en")) == 18 + 2  # every card, the period, the footnote
        assert f"{t('pack.provisional_note', 'en')} • Sông Hinh has only 12 bills for Aug 2020" in text
        assert "Large jump" not in text  # other branches' marks are not this pack's
        # a mark about one KPI marks that card only
        other = text_of(pack.pdf_bytes(source, pack.PackSpec(PERIOD, "PC08AA", lang="en")))
        assert other.count(t("pack.provisional", "en")) == 1 + 2
        in_order(other, ["App users, share", t("pack.provisional", "en"), "Zalo users"])
        assert "• Large jump at PC08AA" in other
        vi = text_of(pack.pdf_bytes(source, pack.PackSpec(PERIOD, BRANCH, lang="vi")))
        assert "Điện lực Sông Hinh chỉ có 12 hóa đơn T8/2020" in vi and t("pack.provisional_note", "vi") in vi


def test_a_company_pack_with_many_marks_stays_on_one_page(provisional, monkeypatch):
    data, _, folder = provisional
    monkeypatch.setattr(config, "QUERIES_DIR", folder)
    with pack.open_warehouse(data_dir=data) as source:
        pdf = pack.pdf_bytes(source, pack.PackSpec(PERIOD, None, lang="en"))
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    text = text_of(pdf)
    assert "Điện lực Sông Hinh: Sông Hinh has only 12 bills for Aug 2020" in text  # the branch named
    assert t("pack.more_notes", "en", count=9 - pack.MAX_NOTES + 1) in text  # nine messages, MAX_NOTES lines


def test_no_marks_without_the_table(provisional, monkeypatch):
    """An older warehouse, built before the `provisional` table, with the query file present: nothing marked."""
    _, older, folder = provisional
    monkeypatch.setattr(config, "QUERIES_DIR", folder)
    with pack.open_warehouse(data_dir=older) as source:
        assert pack.provisional_marks(source, [BRANCH], PERIOD).empty
        text = text_of(pack.pdf_bytes(source, pack.PackSpec(PERIOD, BRANCH, lang="en")))
    assert t("pack.provisional", "en") not in text


# ---------------------------------------------------------------- the button on the pages


def download_buttons(at) -> list:
    return [b for b in at.get("download_button") if b.proto.label == t("pack.download", "vi")]


@pytest.mark.parametrize("page, params", [("overview", {"to": TO}), ("overview", {"branch": BRANCH, "to": TO}),
                                          ("branch", {"branch": BRANCH, "to": TO})])
def test_the_download_button_is_on_the_overview_and_branch_pages(sample_env, page, params):
    at = open_page(page, params)
    assert not at.exception and not at.error
    [button] = download_buttons(at)
    assert not button.proto.disabled
    assert t("pack.download_help", "vi", scope="", period="")[:20] in button.proto.help


def test_several_branches_disable_the_button_and_say_why(sample_env):
    at = open_page("overview", {"branch": ["PC08AA", "PC08BB"], "to": TO})
    [button] = download_buttons(at)
    assert button.proto.disabled and button.proto.help == t("pack.download_many", "vi")


def test_the_page_pack_reads_the_page_queries(sample_env, packs):
    """What the button hands over: pdf_bytes on a page-like source (query + version) gives the CLI's figures."""
    class PageLike:
        def __init__(self, source):
            self.version, self.query = source.version, source.query

    with pack.open_warehouse() as source:
        text = text_of(pack.pdf_bytes(PageLike(source), pack.PackSpec(PERIOD, BRANCH)))
    assert text == text_of(packs[f"bao-cao_{BRANCH}_{TO}.pdf"])


# ---------------------------------------------------------------- a corporation's packs


@pytest.fixture(scope="module")
def corporation_packs(tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    """The committed three-company sample built, and three of its packs made through the command line: a branch of
    Quảng Trị (PC02), Quảng Trị's own, and the corporation's."""
    from dashboard.build import build

    data = tmp_path_factory.mktemp("corporation-pack-data")
    build(config.SAMPLE_DIR / "corporation", data)
    out = tmp_path_factory.mktemp("corporation-packs")
    assert run_cli(data, "--to", TO, "--branch", "PC02BB", "--branch", "pc02", "--branch", "EVNCPC",
                   "--out", str(out)) == 0
    files = {p.name: p for p in out.glob("*.pdf")}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for path in files.values():
        pypdfium2.PdfDocument(str(path))[0].render(scale=2).to_pil().save(ARTIFACTS / f"corporation_{path.stem}.png")
    return data, files


def test_a_corporation_makes_branch_company_and_corporation_packs(corporation_packs):
    data, files = corporation_packs
    assert sorted(files) == sorted(f"bao-cao_{c}_{TO}.pdf" for c in ("PC02BB", "PC02", "EVNCPC"))
    con = warehouse.connect(warehouse.current(data).path)
    try:
        peers = con.execute("select count(*) from branches where company_code = 'PC02'").fetchall()[0][0]
        name = con.execute("select company_name_vi from companies where company_code = 'PC02'").fetchall()[0][0]
        corp = con.execute("select customers from corporation_month where period = ?", [PERIOD]).fetchall()[0][0]
        own = con.execute("select customers from company_month where company_code = 'PC02' and period = ?",
                          [PERIOD]).fetchall()[0][0]
    finally:
        con.close()
    branch = text_of(files[f"bao-cao_PC02BB_{TO}.pdf"])
    assert name.upper() in branch.upper()  # the branch's own company heads its pack
    ranks = re.findall(t("pack.rank", "vi", rank=r"\d+/(\d+)"), branch)
    # ranked among its company's branches only (fewer where a branch has no value, e.g. no completed request)
    assert ranks and max(int(r) for r in ranks) == peers
    company = text_of(files[f"bao-cao_PC02_{TO}.pdf"])
    assert name.upper() in company.upper() and formats.fmt_kpi(own, "count", "vi") in company
    top = text_of(files[f"bao-cao_EVNCPC_{TO}.pdf"])
    assert t("app.corporation", "vi").upper() in top.upper() and t("metric.corporation", "vi") in top
    assert formats.fmt_kpi(corp, "count", "vi") in top


def test_the_corporation_default_is_every_branch_every_company_and_the_corporation(corporation_packs, tmp_path,
                                                                                   monkeypatch):
    data, _ = corporation_packs
    monkeypatch.setattr(pack, "pdf_bytes", lambda source, spec: b"%PDF-1.7 stub")
    assert run_cli(data, "--to", TO, "--out", str(tmp_path)) == 0
    con = warehouse.connect(warehouse.current(data).path)
    codes = [c for (c,) in con.execute("select branch_code from branches union all select distinct company_code "
                                       "from branches").fetchall()]
    con.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"bao-cao_{c}_{TO}.pdf" for c in [*codes, "EVNCPC"])


def test_an_unknown_company_or_branch_is_refused_naming_it(corporation_packs, tmp_path, capsys):
    data, _ = corporation_packs
    assert run_cli(data, "--to", TO, "--branch", "PC99", "--out", str(tmp_path)) == 2
    assert "PC99" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
