"""Password hashing, the users file (strict, errors naming file and key) and `ioc users`."""

from __future__ import annotations

import io
import stat

import pytest
import yaml

from collectors.cli import main
from config.loader import ConfigError
from metrics.access import audit
from metrics.access.accounts import (
    UserEntry,
    UsersFile,
    hash_password,
    load_users,
    needs_rehash,
    save_users,
    verify_password,
)
from metrics.store import Store


def test_password_hash_is_salted_argon2id_and_verifies_only_the_right_password():
    a, b = hash_password("same password"), hash_password("same password")
    assert a != b  # a new salt each time
    assert a.startswith("$argon2id$") and b.startswith("$argon2id$")
    assert verify_password(a, "same password") and verify_password(b, "same password")
    assert not verify_password(a, "same passwore")
    assert not verify_password(a, "")
    assert not needs_rehash(a)


@pytest.mark.parametrize("bad_hash", ["", "plain-text", "$2b$12$abcdefghijklmnopqrstuv",
                                      "$argon2id$v=19$m=65536,t=3,p=4$broken"])
def test_password_verify_says_no_for_a_hash_in_the_wrong_format(bad_hash):
    assert verify_password(bad_hash, "anything") is False
    assert needs_rehash(bad_hash)


def test_password_hash_refuses_empty_or_huge_input():
    with pytest.raises(ValueError):
        hash_password("")
    with pytest.raises(ValueError):
        hash_password("x" * 2000)
    assert not verify_password(hash_password("x" * 10), "x" * 2000)


def test_users_file_round_trips_and_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "users.yaml"
    users = UsersFile(users={"lan": UserEntry(role="tech", scope="province:46",
                                              password_hash=hash_password("p" * 12),
                                              name="Nguyễn Lan")})
    save_users(path, users)
    assert load_users(path) == users
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "Nguyễn Lan" in path.read_text(encoding="utf-8")


def test_users_file_missing_is_empty_unless_required(tmp_path):
    assert load_users(tmp_path / "none.yaml").users == {}
    with pytest.raises(ConfigError):
        load_users(tmp_path / "none.yaml", missing_ok=False)


@pytest.mark.parametrize(("entry", "key"), [
    ({"role": "boss", "scope": "national", "password_hash": "$argon2id$x"}, "users.lan.role"),
    ({"role": "tech", "scope": "province:hue", "password_hash": "$argon2id$x"},
     "users.lan.scope"),
    ({"role": "tech", "scope": "national", "password_hash": "secret"},
     "users.lan.password_hash"),
    ({"role": "tech", "scope": "national", "password_hash": "$argon2id$x", "password": "x"},
     "users.lan.password"),
    ({"scope": "national", "password_hash": "$argon2id$x"}, "users.lan.role"),
])
def test_users_file_errors_name_the_file_and_the_key(tmp_path, entry, key):
    path = tmp_path / "users.yaml"
    path.write_text(yaml.safe_dump({"users": {"lan": entry}}), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_users(path)
    assert any(p.where == str(path) and p.key == key for p in err.value.problems), \
        err.value.problems


def test_users_file_refuses_a_bad_user_name_and_a_non_mapping(tmp_path):
    path = tmp_path / "users.yaml"
    path.write_text(yaml.safe_dump({"users": {"Bad Name": {
        "role": "tech", "scope": "national", "password_hash": "$argon2id$x"}}}))
    with pytest.raises(ConfigError, match="Bad Name"):
        load_users(path)
    path.write_text("users: [a, b]\n")
    with pytest.raises(ConfigError, match="users"):
        load_users(path)


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    """`ioc users …` against a users file and a SQLite store in tmp_path; stdin is a line."""
    monkeypatch.setenv("IOC_DB_URL", f"sqlite:///{tmp_path / 'audit.db'}")
    path = tmp_path / "users.yaml"

    def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(["users", "--file", str(path), *args])
        out = capsys.readouterr()
        return code, out.out, out.err
    run.path = path  # type: ignore[attr-defined]
    return run


def test_users_cli_adds_changes_and_removes_accounts_without_echoing_passwords(cli, tmp_path):
    code, out, err = cli("add", "lan", "--role", "tech", "--scope", "province:46",
                         stdin="first-password-1\n")
    assert code == 0, err
    assert "first-password-1" not in out + err + cli.path.read_text()
    assert verify_password(load_users(cli.path).users["lan"].password_hash, "first-password-1")
    code, out, err = cli("passwd", "lan", stdin="second-password-2\n")
    assert code == 0 and "second-password-2" not in out + err
    entry = load_users(cli.path).users["lan"]
    assert verify_password(entry.password_hash, "second-password-2")
    assert not verify_password(entry.password_hash, "first-password-1")
    code, out, _ = cli("list")
    assert "lan\ttech\tprovince:46" in out and "$argon2" not in out
    assert cli("remove", "lan")[0] == 0
    assert load_users(cli.path).users == {}
    with Store.open(f"sqlite:///{tmp_path / 'audit.db'}") as db:
        actions = audit.entries(db)["action"].to_list()
    assert actions == ["user_remove", "user_passwd", "user_add"]


@pytest.mark.parametrize(("args", "stdin", "says"), [
    (("add", "lan", "--role", "tech", "--scope", "province:46"), "short\n", "characters"),
    (("add", "lan", "--role", "tech", "--scope", "province:46"), "lan\n", "characters"),
    (("add", "lanlanlanlan", "--role", "tech", "--scope", "province:46"), "lanlanlanlan\n",
     "user name"),
    (("add", "lan", "--role", "tech", "--scope", "province:77"), "good-password-1\n",
     "no province"),
    (("add", "lan", "--role", "tech", "--scope", "commune:99999"), "good-password-1\n",
     "no centre"),
    (("passwd", "nobody"), "good-password-1\n", "no user"),
    (("remove", "nobody"), "", "no user"),
])
def test_users_cli_refuses_bad_input_with_a_reason(cli, args, stdin, says):
    code, _out, err = cli(*args, stdin=stdin)
    assert code == 2 and says in err
    assert not cli.path.exists()


def test_users_cli_refuses_to_add_an_existing_user(cli):
    assert cli("add", "lan", "--role", "tech", "--scope", "national",
               stdin="good-password-1\n")[0] == 0
    code, _, err = cli("add", "lan", "--role", "admin", "--scope", "national",
                       stdin="good-password-2\n")
    assert code == 2 and "exists" in err
    assert load_users(cli.path).users["lan"].role == "tech"


def test_demo_accounts_are_made_once_and_sign_in_with_the_printed_passwords(tmp_path):
    from collectors.commands import demo_users
    from config.loader import load_settings
    from dashboard.session import auth

    settings = load_settings(env={"IOC_DASHBOARD__USERS_FILE": str(tmp_path / "none.yaml")})
    path = tmp_path / "demo-users.yaml"
    env, lines = demo_users.prepare(settings, None, path)
    assert env == {"IOC_DASHBOARD__USERS_FILE": str(path.resolve())}
    assert "DEMO ACCOUNTS ONLY" in lines[0]
    users = load_users(path)
    for name, password, role, scope, _ in demo_users.demo_accounts(46):
        assert any(name in line and password in line for line in lines)
        who = auth.check_password(users, name, password)
        assert who is not None and (who.role, str(who.scope)) == (role, scope)
    before = path.read_bytes()
    demo_users.prepare(settings, None, path)
    assert path.read_bytes() == before  # made once


def test_demo_accounts_are_not_made_when_the_site_has_its_own(tmp_path):
    from collectors.commands import demo_users
    from config.loader import load_settings

    own = tmp_path / "users.yaml"
    save_users(own, UsersFile(users={"lan": UserEntry(
        role="admin", scope="national", password_hash=hash_password("p" * 12))}))
    settings = load_settings(env={"IOC_DASHBOARD__USERS_FILE": str(own)})
    env, lines = demo_users.prepare(settings, None, tmp_path / "demo.yaml")
    assert env == {} and str(own) in lines[0]
    assert not (tmp_path / "demo.yaml").exists()
    off = load_settings(env={"IOC_DASHBOARD__AUTH": "none"})
    assert demo_users.prepare(off, None, tmp_path / "demo.yaml")[0] == {}


def test_users_cli_ends_dashboard_sessions_on_passwd_remove_and_signout(cli, tmp_path):
    import time

    from config.scope import province
    from metrics.access import sessions as web_sessions

    url = f"sqlite:///{tmp_path / 'audit.db'}"
    for name in ("lan", "minh"):
        assert cli("add", name, "--role", "tech", "--scope", "province:46",
                   stdin="first-password-1\n")[0] == 0

    def sign_in(name: str) -> str:
        with Store.open(url) as db:
            return web_sessions.create(db, username=name, role="tech", scope=province(46),
                                       credential_stamp="x" * 64, hours=12)[1]

    def live(token: str) -> bool:
        with Store.open(url) as db:
            return web_sessions.find(db, token).live(int(time.time() * 1000))

    lan, minh = sign_in("lan"), sign_in("minh")
    code, out, _ = cli("sessions")
    assert code == 0 and "lan\ttech\tprovince:46" in out and "minh" in out
    code, out, _ = cli("passwd", "lan", stdin="second-password-2\n")
    assert code == 0 and "1 dashboard session(s) of lan ended" in out
    assert not live(lan) and live(minh)
    code, out, _ = cli("signout", "minh")
    assert code == 0 and "1 session(s) of minh ended" in out and not live(minh)
    again = sign_in("minh")
    assert cli("remove", "minh")[0] == 0 and not live(again)
    newest = sign_in("lan")
    code, out, _ = cli("signout", "--all")
    assert code == 0 and "1 session(s) of every user ended" in out and not live(newest)
    assert cli("sessions")[1] == ""
    with Store.open(url) as db:
        ended = audit.entries(db, actions=["sessions_end"])
    assert ended["target"].to_list() == ["*", "minh", "minh", "lan"]
    assert cli("passwd", "lan", stdin="third-password-3\n")[0] == 0  # none live: no row
    with Store.open(url) as db:
        assert audit.entries(db, actions=["sessions_end"]).height == 4
