"""Loading the tree from one workbook: a good file (hundreds of stalls at once), a file with
problems (each named by sheet, row and column; nothing written), loading again (nothing
changes), a district's administrator confined to their district, the CLI and the template."""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from reports.excel.tree_template import SHEETS, header_text, write_tree_template


def workbook(sheets: dict[str, list[tuple]]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        ws.append([header_text(title, required) for _f, title, required in SHEETS[name]])
        for row in rows:
            ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


STALLS = 300


def good_file() -> bytes:
    return workbook({
        "机构": [("HZ", "杭州市", "市", None, "杭州市市场监督管理局"),
                 ("QT", "钱塘区", "区县", "HZ", "杭州市钱塘区市场监督管理局", "钱塘区市场监督管理局（盖章）", "张敏"),
                 ("qt-xs", "下沙市场监管所", "市场监管所", "QT"),
                 ("QT-KJ", "钱塘区快检中心", "检测机构", "QT")],
        "场所": [("QT01", "下沙农贸市场", "农贸市场", "QT-XS", "学林街 1 号", 57112345678),
                 ("QT02", "白杨农贸市场", "market", "QT")],
        "摊位": [("QT01" if n % 2 else "QT02", f"A-{n:03d}", f"经营者{n}", None, None) for n in range(1, STALLS + 1)],
        "检测点": [("QT-VAN1", "钱塘区快检车一号", "快检车", "QT-KJ", "QT01、QT02"),
                   ("QT01-R", "下沙农贸市场快检室", "快检室", "QT-KJ", "qt01")],
    })


def counts(db):
    from lims.models import AuditEntry, Organisation, Site, Stall, Station

    return tuple(db.session.execute(db.select(db.func.count(m.id))).scalar_one()
                 for m in (Organisation, Site, Stall, Station, AuditEntry))


def test_a_good_file_loads_everything_and_again_changes_nothing(app, ctx, db):
    from lims.accounts.access import Actor
    from lims.models import Organisation, Site, Station
    from lims.orgs.bulk import load_tree

    admin = Actor(user=None, ip="test")
    before = counts(db)
    result = load_tree(admin, good_file())
    assert (result.added["机构"], result.added["场所"], result.added["摊位"], result.added["检测点"]) == (4, 2, STALLS, 2)
    after = counts(db)
    assert after[:4] == (before[0] + 4, before[1] + 2, before[2] + STALLS, before[3] + 2)
    qt = db.session.execute(db.select(Organisation).where(Organisation.code == "QT")).scalar_one()
    office = db.session.execute(db.select(Organisation).where(Organisation.code == "QT-XS")).scalar_one()
    assert office.parent_id == qt.id and office.path.startswith(qt.path)
    assert (qt.issuer_name, qt.seal_text, qt.compiled_by) == ("杭州市钱塘区市场监督管理局", "钱塘区市场监督管理局（盖章）", "张敏")
    site = db.session.execute(db.select(Site).where(Site.code == "QT01")).scalar_one()
    assert (site.org_id, site.phone, len(site.stalls)) == (office.id, "57112345678", STALLS // 2)
    van = db.session.execute(db.select(Station).where(Station.code == "QT-VAN1")).scalar_one()
    assert [s.code for s in van.sites] == ["QT01", "QT02"] and van.org.code == "QT-KJ" and van.kind == "van"

    again = load_tree(admin, good_file())
    assert sum(again.added.values()) == 0 and sum(again.changed.values()) == 0
    assert sum(again.unchanged.values()) == 4 + 2 + STALLS + 2
    assert counts(db) == after  # not a row, not an audit entry


def test_a_changed_file_changes_what_changed(app, ctx, db):
    from lims.accounts.access import Actor
    from lims.models import Stall
    from lims.orgs.bulk import load_tree

    admin = Actor(user=None, ip="test")
    load_tree(admin, good_file())
    changed = workbook({"摊位": [("QT01", "A-001", "新经营者", "13900000000", None)],
                        "检测点": [("QT-VAN1", "钱塘区快检车一号", "快检车", "QT-KJ", "QT02")]})
    result = load_tree(admin, changed)
    assert result.changed["摊位"] == 1 and result.changed["检测点"] == 1
    stall = db.session.execute(db.select(Stall).where(Stall.code == "A-001")).scalar_one()
    assert (stall.operator, stall.phone) == ("新经营者", "13900000000")


def test_a_file_with_problems_writes_nothing_and_names_each(app, ctx, db, make_site):
    from lims.accounts.access import Actor
    from lims.orgs.bulk import TreeFileInvalid, load_tree

    make_site(code="OLD", name="已有市场")
    bad = workbook({
        "机构": [("HZ", "杭州市", "市"), ("QT", "钱塘区", "区县", "HZ"), ("QT", "重复", "区县", "HZ"),
                 ("BAD CODE", "坏代码", "区县"), ("T1", "快检公司", "检测机构", "HZ"), ("X1", "所", "市场监管所", "T1"),
                 ("NK", "无类型", "星球")],
        "场所": [("S1", "已有市场", "农贸市场", "QT"), ("S2", "市直市场", "农贸市场", "HZ"), ("S3", "无主", "农贸市场", "NOPE")],
        "摊位": [("S9", "A-01", "甲"), ("S1", "A-01", "乙"), ("S1", "a-01", "丙")],
        "检测点": [("V1", "车", "快检车", "QT", "S1"), ("V2", "车二", "快检车", "T1", "S1、ZZ")],
    })
    before = counts(db)
    with pytest.raises(TreeFileInvalid) as caught:
        load_tree(Actor(user=None, ip="test"), bad)
    found = {(p.sheet, p.row, p.column) for p in caught.value.problems}
    assert found >= {
        ("机构", 4, "机构代码"),  # QT twice
        ("机构", 5, "机构代码"),  # not a code
        ("机构", 7, "上级机构代码"),  # an office under a testing organisation
        ("机构", 8, "类型"),  # unknown kind
        ("场所", 2, "场所名称"),  # the name of another site
        ("场所", 3, "所属机构代码"),  # a city is no site's node
        ("场所", 4, "所属机构代码"),  # no such organisation
        ("摊位", 2, "场所代码"),  # no such site
        ("摊位", 4, "摊位号"),  # A-01 twice at S1 (case does not matter)
        ("检测点", 2, "所属检测机构代码"),  # a district owns no station
        ("检测点", 3, "服务场所代码"),  # ZZ unknown
    }, found
    assert counts(db) == before
    assert all(str(p) for p in caught.value.problems)


def test_not_a_workbook_and_missing_columns(app, ctx, db):
    from lims.accounts.access import Actor
    from lims.orgs.bulk import TreeFileInvalid, load_tree

    with pytest.raises(TreeFileInvalid):
        load_tree(Actor(user=None, ip="test"), b"not a zip")
    wb = Workbook()
    wb.active.title = "场所"
    wb.active.append(["场所代码", "场所名称"])
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(TreeFileInvalid) as caught:
        load_tree(Actor(user=None, ip="test"), out.getvalue())
    assert {(p.sheet, p.column) for p in caught.value.problems} == {("场所", "类型"), ("场所", "所属机构代码")}


def test_a_district_admin_loads_only_inside_their_district(app, ctx, db, make_user):
    from lims.accounts.access import Actor
    from lims.orgs.bulk import TreeFileInvalid, load_tree
    from lims.orgs.services import create_org

    system = Actor(user=None, ip="test")
    create_org(system, code="HZ", name="杭州市", kind="city")
    qt = create_org(system, code="QT", name="钱塘区", kind="district", parent="HZ")
    create_org(system, code="XS", name="萧山区", kind="district", parent="HZ")
    admin = make_user("admin")
    admin.orgs = [qt]
    db.session.flush()
    actor = Actor(user=admin, ip="test")
    outside = workbook({"机构": [("XS-O", "萧山所", "市场监管所", "XS"), ("ROOT", "省", "省")],
                        "场所": [("XS01", "萧山市场", "农贸市场", "XS")]})
    with pytest.raises(TreeFileInvalid) as caught:
        load_tree(actor, outside)
    assert {(p.sheet, p.row) for p in caught.value.problems} == {("机构", 2), ("机构", 3), ("场所", 2)}
    inside = workbook({"机构": [("QT", "钱塘区", "区县"), ("QT-O", "下沙所", "市场监管所", "QT")],
                       "场所": [("QT01", "下沙市场", "农贸市场", "QT-O")]})
    result = load_tree(actor, inside)  # its own node listed without its (unseen) parent: left where it is
    assert result.added["机构"] == 1 and result.unchanged["机构"] == 1 and result.added["场所"] == 1
    assert qt.parent.code == "HZ"


def test_cli_load_and_template(app, db, tmp_path):
    runner = app.test_cli_runner()
    template = tmp_path / "t.xlsx"
    assert runner.invoke(args=["lims", "org", "template", "--out", str(template)]).exit_code == 0
    wb = load_workbook(template, read_only=True)
    assert wb.sheetnames == ["填写说明", "机构", "场所", "摊位", "检测点"]
    wb.close()
    result = runner.invoke(args=["lims", "org", "load", str(template)])  # the examples load as they are
    assert result.exit_code == 0, result.output
    assert "机构" in result.output
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook({"场所": [("Z1", "市场", "农贸市场", "NOPE")]}))
    result = runner.invoke(args=["lims", "org", "load", str(bad)])
    assert result.exit_code == 1 and "场所 第2行 所属机构代码" in result.output


def test_template_examples_are_a_valid_file(app, ctx, db):
    from lims.accounts.access import Actor
    from lims.orgs.bulk import load_tree

    result = load_tree(Actor(user=None, ip="test"), write_tree_template())
    assert sum(result.added.values()) == 4 + 2 + 3 + 2


def test_codes_typed_full_width_or_in_lower_case_are_the_same_codes(app, ctx, db):
    from lims.accounts.access import Actor
    from lims.models import Site, Station
    from lims.orgs.bulk import load_tree

    load_tree(Actor(user=None, ip="test"), workbook({
        "机构": [("ｑｔ", "钱塘区", "区县"), ("qt-kj", "快检中心", "检测机构", "Ｑｔ")],
        "场所": [("ｓ１", "一号市场", "农贸市场", "ＱＴ")],
        "检测点": [("v1", "快检车", "快检车", "ＱＴ-ＫＪ", "ｓ１，S1")]}))
    assert db.session.execute(db.select(Site.org_id).where(Site.code == "S1")).scalar_one() is not None
    van = db.session.execute(db.select(Station).where(Station.code == "V1")).scalar_one()
    assert [s.code for s in van.sites] == ["S1"] and van.org.code == "QT-KJ"
