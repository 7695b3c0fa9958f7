"""Sign-in, roles and scope through the real app (AppTest), over a store holding two provinces.

Every page is opened signed in as a province-46 staff member, with a second province's
centres (named `ZZLEAK …`) and alerts in the same store: nothing of it may appear, in any
element (text, tables, charts, options). The same page as a national admin shows it, so
the check can fail. Sign-in goes through the form (st.form) every time.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from config.scope import province
from metrics.access import audit, kiosk
from metrics.access import sessions as web_sessions
from metrics.access.accounts import UserEntry, UsersFile, hash_password, save_users
from metrics.store import Store
from tests.fixtures.access import LEAK, OFFICER_CENTRE, PASSWORD, two_provinces, write_users
from tests.fixtures.pages import app_test
from tests.fixtures.personas import BRIEFING_END
from tests.fixtures.stale_config import stale_config

AT = "2025-07-03T10:00"  # BRIEFING_END in Huế time
PAGES = ("wall", "commune", "finder", "alerts", "kpi", "briefing")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """(database URL, users file, the two provinces' ids), built once for the module."""
    root = tmp_path_factory.mktemp("access")
    url = f"sqlite:///{root / 'two.db'}"
    with Store.open(url) as db:
        both = two_provinces(db, BRIEFING_END)
    return url, write_users(root / "users.yaml"), both


@pytest.fixture
def app(world, monkeypatch, tmp_path):
    """A factory: an AppTest with sign-in on (local accounts), not yet run."""
    url, users, _ = world
    monkeypatch.setenv("IOC_DB_URL", url)
    monkeypatch.setenv("IOC_CONFIG", str(stale_config(tmp_path, 100_000_000)))
    monkeypatch.setenv("IOC_DASHBOARD__AUTH", "local")
    monkeypatch.setenv("IOC_DASHBOARD__USERS_FILE", str(users))

    return app_test


def sign_in(at: AppTest, user: str, password: str = PASSWORD) -> AppTest:
    """Type into the sign-in form and submit it."""
    at.run()
    at.text_input(key="signin-user").input(user)
    at.text_input(key="signin-password").input(password)
    at.button[0].click().run()
    return at


def page_text(at: AppTest) -> str:
    """Everything the page holds: every element's message, tables' cells, charts' specs."""
    parts: list[str] = []

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            walk(child)
        if getattr(node, "type", "") in ("dataframe", "arrow_data_frame", "table"):
            parts.append(node.value.to_csv())
        elif (proto := getattr(node, "proto", None)) is not None:
            parts.append(str(proto))
    walk(at._tree)
    return "\n".join(parts)


def open_page(at: AppTest, name: str) -> AppTest:
    if name != "wall":
        at.switch_page(f"app_pages/{name}.py").run()
    assert not at.exception, at.exception
    return at


def test_sign_in_form_refuses_a_wrong_password_then_lets_the_user_in(app, world):
    at = sign_in(app(), "staff46", "not-the-password")
    assert [e.value for e in at.error] == ["Sai tên đăng nhập hoặc mật khẩu."]
    assert at.title[0].value == "Đăng nhập"
    at = sign_in(app(), "staff46")
    assert not at.exception and not at.error
    assert at.title[0].value == "IOC Thành phố Huế"
    assert "staff46 (test) · Cán bộ IOC · tỉnh/thành phố mã 46" in at.sidebar.text[0].value
    with Store.open(world[0]) as db:
        log = audit.entries(db, actions=["sign_in"]).head(2)
    assert list(zip(log["actor"], log["ok"], strict=True)) == [("staff46", True),
                                                              ("staff46", False)]


def test_sign_in_is_refused_for_a_while_after_repeated_failures(app, tmp_path, monkeypatch):
    # Its own account: the lock is per user name and lasts for the whole test process.
    monkeypatch.setenv("IOC_DASHBOARD__USERS_FILE",
                       str(write_users(tmp_path / "u.yaml", [("target", "tech", "national")])))
    at = app()
    for _ in range(5):
        at = sign_in(at, "target", "wrong-password")
    at = sign_in(at, "target")  # the right password, but the name is locked
    assert any("quá nhiều lần" in e.value for e in at.error)
    assert at.title[0].value == "Đăng nhập"


def test_sign_out_returns_to_the_form(app):
    at = sign_in(app(), "staff46")
    at.sidebar.button(key="signout").click().run()
    assert at.title[0].value == "Đăng nhập"
    assert any("Đã đăng xuất" in i.value for i in at.info)


def test_a_sign_in_stores_a_session_that_the_cli_or_signing_out_ends(app, world, tmp_path,
                                                                    monkeypatch):
    monkeypatch.setenv("IOC_DASHBOARD__USERS_FILE", str(write_users(
        tmp_path / "u.yaml", [("phien", "tech", "province:46")])))

    def live() -> list[int]:
        with Store.open(world[0]) as db:
            found = web_sessions.active(db)
        return found.filter(found["username"] == "phien")["id"].to_list()

    at = sign_in(app(), "phien")
    assert at.title[0].value != "Đăng nhập" and len(live()) == 1
    with Store.open(world[0]) as db:
        assert audit.entries(db, actions=["sign_in"])["target"][0] == f"session:{live()[0]}"
        web_sessions.revoke_user(db, "phien", by="cli:test")  # as `ioc users signout` does
    at.run()  # the next run of the open tab
    assert at.title[0].value == "Đăng nhập"
    assert any("Phiên đăng nhập đã hết hạn" in i.value for i in at.info)
    at = sign_in(at, "phien")
    assert at.title[0].value != "Đăng nhập" and len(live()) == 1
    at.sidebar.button(key="signout").click().run()
    assert at.title[0].value == "Đăng nhập" and live() == []


@pytest.mark.parametrize("name", PAGES)
def test_province_staff_cannot_read_another_province_through_any_page(app, world, name):
    theirs = world[2].theirs
    query = {"at": AT}
    if name == "commune":
        query["centre"] = theirs[0]  # asking for the other province's centre by id
    at = open_page(sign_in(app(**query), "staff46"), name)
    text = page_text(at)
    assert LEAK not in text
    if name == "commune":
        assert any("Không có trung tâm nào mang mã" in w.value for w in at.warning)


@pytest.mark.parametrize("name", ["wall", "finder", "alerts"])
def test_a_national_admin_does_see_both_provinces(app, name):
    at = open_page(sign_in(app(at=AT), "admin"), name)
    assert LEAK in page_text(at)


def test_a_commune_officer_sees_their_centre_only(app):
    at = open_page(sign_in(app(at=AT), "officer"), "finder")
    table = at.dataframe[0].value
    assert len(table) == 1 and OFFICER_CENTRE in table.to_csv()
    at = open_page(sign_in(app(at=AT), "officer"), "wall")
    assert {m.label: m.value for m in at.metric}["Trung tâm hoạt động"].endswith("/1")


def test_leader_sees_no_action_buttons_and_tech_does(app):
    at = open_page(sign_in(app(), "leader46"), "alerts")
    assert not at.get("form_submit_button") and not at.selectbox
    assert any("chỉ xem" in c.value or "Chỉ" in c.value for c in at.caption)
    at = open_page(sign_in(app(), "tech46"), "alerts")
    buttons = {b.label: b.disabled for b in at.main.button}
    assert buttons == {"Xác nhận đã tiếp nhận": False, "Tạm im lặng": False, "Giao việc": False}
    # The signed-in name is the actor; nobody types a name, only a note (the alert's, and
    # the assignment's).
    assert [t.label for t in at.text_input] == ["Ghi chú", "Ghi chú (việc cần làm)"]


def test_kiosk_link_shows_the_wall_read_only_until_revoked(app, world):
    url = world[0]
    with Store.open(url) as db:
        link_id, token = kiosk.create(db, label="Phòng IOC", scope=province(46), actor="t")
    at = app(kiosk=token, at=AT)
    at.run()
    assert not at.exception and not at.error
    assert at.title[0].value == "IOC Thành phố Huế"
    assert not at.sidebar.button and not at.button and not at.text_input
    assert LEAK not in page_text(at)
    with Store.open(url) as db:
        kiosk.revoke(db, link_id, actor="t")
    at.run()  # the next refresh
    assert [e.value for e in at.error] == [
        "Liên kết màn hình này không hợp lệ hoặc đã bị thu hồi. Liên hệ quản trị viên để "
        "được cấp liên kết mới."]
    assert not at.metric
    bad = app(kiosk="1")
    bad.run()
    assert bad.error and not bad.metric  # ?kiosk=1 is no way in when sign-in is on


def test_audit_page_is_for_national_admins_and_lists_sign_ins(app):
    at = open_page(sign_in(app(), "admin"), "audit")
    log = at.dataframe[0].value
    assert "Đăng nhập" in set(log["Sự kiện"]) and "admin" in set(log["Người thực hiện"])
    assert "sign_in" not in set(log["Sự kiện"])  # the action in words, not its identifier
    at = sign_in(app(), "tech46")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/audit.py")  # not in this person's navigation at all


def test_a_bad_users_file_stops_sign_in_naming_the_key(app, tmp_path, monkeypatch):
    bad = tmp_path / "users.yaml"
    bad.write_text("users:\n  lan: {role: boss, scope: national, password_hash: x}\n")
    monkeypatch.setenv("IOC_DASHBOARD__USERS_FILE", str(bad))
    at = app()
    at.run()
    assert any("users.lan.role" in e.value for e in at.error)
    assert not at.text_input


def test_no_accounts_yet_says_how_to_make_one(app, tmp_path, monkeypatch):
    monkeypatch.setenv("IOC_DASHBOARD__USERS_FILE", str(tmp_path / "none.yaml"))
    at = app()
    at.run()
    assert any("ioc users add" in w.value for w in at.warning)


def test_a_changed_role_signs_the_session_out_at_the_next_page_load(app, world, tmp_path,
                                                                    monkeypatch):
    path = tmp_path / "users.yaml"
    entry = UserEntry(role="tech", scope="province:46", password_hash=hash_password(PASSWORD))
    save_users(path, UsersFile(users={"minh": entry}))
    monkeypatch.setenv("IOC_DASHBOARD__USERS_FILE", str(path))
    at = sign_in(app(), "minh")
    assert at.title[0].value != "Đăng nhập"
    save_users(path, UsersFile(users={"minh": entry.model_copy(update={"role": "leader"})}))
    at.run()
    assert at.title[0].value == "Đăng nhập"


def test_an_acknowledgement_from_the_page_is_audited_under_the_signed_in_name(app, world):
    at = open_page(sign_in(app(), "tech46"), "alerts")
    pick = at.selectbox(key="alerts-act-pick")  # nothing is preselected: choose one
    pick.select_index(0)
    at.text_input[0].input("đã gọi xã")
    at.button(key="alerts-ack").click().run()
    at.button(key="alerts-confirm-yes").click().run()  # a critical alert: confirm first
    assert not at.exception and any("Đã xác nhận" in s.value for s in at.success)
    with Store.open(world[0]) as db:
        row = audit.entries(db, actions=["acknowledge"]).row(0, named=True)
    assert (row["actor"], row["role"], row["detail"]) == ("tech46", "tech", "đã gọi xã")


def test_an_address_past_its_attempts_is_refused_before_any_password_is_hashed(
        app, world, monkeypatch):
    from dashboard.session import auth, signin

    hashed: list[str] = []
    verify = auth.verify_password
    monkeypatch.setattr(auth, "verify_password",
                        lambda stored, password: hashed.append(password) or verify(stored,
                                                                                  password))
    limit = auth.AddressLimit(per_minute=1e-6, burst=3)  # no refill within the test
    monkeypatch.setattr(signin, "address_limit", lambda: limit)
    at = app()
    for i in range(limit.burst):  # each on its own name: no name lock, only the address
        at = sign_in(at, f"guess{i}", "wrong-password")
    assert len(hashed) == limit.burst
    at = sign_in(at, "staff46")  # the right password, from an address that used its tries
    assert any("Quá nhiều lần đăng nhập từ địa chỉ này" in e.value for e in at.error)
    assert at.title[0].value == "Đăng nhập"
    assert len(hashed) == limit.burst  # refused before the password was hashed
    with Store.open(world[0]) as db:
        last = audit.entries(db, actions=["sign_in"]).row(0, named=True)
    assert (last["actor"], last["ok"]) == ("staff46", False)
    assert last["detail"] == "rate limited · from unknown"  # AppTest has no client address
