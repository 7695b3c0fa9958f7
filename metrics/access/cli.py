"""`ioc users add|passwd|remove|list|sessions|signout` and `ioc kiosk create|list|revoke`.

Passwords are read from a prompt (twice, not echoed) on a terminal, else from
the first line of standard input; they are never printed, logged or passed
on the command line. Every change is written to the audit log as
`cli:<os user>` (a change still happens when the database is down; a warning
says the audit row is missing). `passwd` and `remove` also end the user's
dashboard sessions (metrics/access/sessions.py); `signout` ends one user's or
everyone's. docs/security.md.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TextIO

from config.roles import ROLES
from config.scope import COMMUNE, PROVINCE, Scope
from config.settings import Settings
from metrics.access.accounts import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    UserEntry,
    UsersFile,
    hash_password,
    load_users,
    save_users,
    users_path,
    with_user,
    without_user,
)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    u = sub.add_parser("users", help="dashboard accounts (the local users file)")
    u.add_argument("--file", help="users file (default: dashboard.users_file)")
    us = u.add_subparsers(dest="action", required=True)
    add = us.add_parser("add", help="add an account (password from a prompt or stdin)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--scope", required=True,
                     help="national | province:<code> | commune:<centre id>")
    add.add_argument("--name", default="", help="full name shown in the dashboard")
    pw = us.add_parser("passwd", help="set an account's password (prompt or stdin)")
    pw.add_argument("username")
    rm = us.add_parser("remove", help="remove an account")
    rm.add_argument("username")
    us.add_parser("list", help="list accounts (never hashes)")
    us.add_parser("sessions", help="list live dashboard sign-in sessions")
    so = us.add_parser("signout", help="end a user's dashboard sessions (or everyone's)")
    who = so.add_mutually_exclusive_group(required=True)
    who.add_argument("username", nargs="?")
    who.add_argument("--all", action="store_true", help="every user's sessions")

    k = sub.add_parser("kiosk", help="read-only wall-display links (?kiosk=<token>)")
    ks = k.add_subparsers(dest="action", required=True)
    mk = ks.add_parser("create", help="make a link; prints its URL once")
    mk.add_argument("--label", required=True, help="which display, e.g. 'Phòng IOC màn 1'")
    mk.add_argument("--scope", required=True,
                    help="national | province:<code> | commune:<centre id>")
    mk.add_argument("--base-url", help="the dashboard's address, to print the whole link "
                    "(default http://localhost:<dashboard.port>/)")
    ks.add_parser("list", help="list links (never tokens)")
    rv = ks.add_parser("revoke", help="revoke a link by id")
    rv.add_argument("id", type=int)


def checked_scope(text: str) -> Scope:
    """The scope, checked against the official registry (a province or centre that exists);
    ValueError says what is wrong."""
    from config.registry import all_centres, provinces

    scope = Scope.parse(text)
    if scope.kind == PROVINCE and scope.province not in provinces():
        raise ValueError(f"scope {text!r}: no province with code {scope.province}")
    if scope.kind == COMMUNE and scope.centre not in {c.id for c in all_centres()}:
        raise ValueError(f"scope {text!r}: no centre with id {scope.centre}")
    return scope


def read_password(stdin: TextIO, username: str) -> str:
    """A new password: prompted twice on a terminal, else stdin's first line. ValueError
    when too short, too long, equal to the user name, or the two entries differ."""
    if stdin.isatty():
        first = getpass.getpass(f"New password for {username}: ")
        if getpass.getpass("Again: ") != first:
            raise ValueError("the two passwords differ")
    else:
        first = stdin.readline().rstrip("\r\n")
    if not MIN_PASSWORD <= len(first) <= MAX_PASSWORD:
        raise ValueError(f"password: {MIN_PASSWORD}..{MAX_PASSWORD} characters")
    if first.strip().lower() == username.lower():
        raise ValueError("password: must not be the user name")
    return first


def _audit(settings: Settings, action: str, target: str, detail: str = "") -> None:
    from metrics.access import audit
    from metrics.store import Store

    try:
        with Store.open(settings.store.url) as store:
            audit.record(store, action, actor=f"cli:{getpass.getuser()}", role="admin",
                         target=target, detail=detail)
    except Exception as exc:  # the account change stands; say the audit row is missing
        print(f"ioc users: warning: audit log not written ({type(exc).__name__}: {exc})",
              file=sys.stderr)


def _end_sessions(settings: Settings, username: str | None, *,
                  audit_none: bool = True) -> int | None:
    """End `username`'s live dashboard sessions (everyone's when None) and audit it (when
    none was live, only if `audit_none`); how many ended, or None when the database could
    not be reached (a warning says so)."""
    from metrics.access import audit
    from metrics.access import sessions as web_sessions
    from metrics.store import Store

    actor = f"cli:{getpass.getuser()}"
    try:
        with Store.open(settings.store.url) as store:
            ended = (web_sessions.revoke_all(store, by=actor) if username is None
                     else web_sessions.revoke_user(store, username, by=actor))
            if ended or audit_none:
                audit.record(store, "sessions_end", actor=actor, role="admin",
                             target=username or "*", detail=f"{ended} ended")
    except Exception as exc:  # the account change stands; its new stamp ends them anyway
        print(f"ioc users: warning: sessions not ended ({type(exc).__name__}: {exc})",
              file=sys.stderr)
        return None
    return ended


def _sessions(args: argparse.Namespace, settings: Settings) -> int:
    from metrics.access import sessions as web_sessions
    from metrics.store import Store

    if args.action == "signout":
        name = None if args.all else args.username.strip().lower()
        ended = _end_sessions(settings, name)
        if ended is None:
            return 1
        print(f"ioc users signout: {ended} session(s) of {name or 'every user'} ended")
        return 0
    with Store.open(settings.store.url) as store:
        for r in web_sessions.active(store).iter_rows(named=True):
            times = (f"{r[k]:%Y-%m-%d %H:%M}Z" for k in ("created_at", "expires_at", "last_seen"))
            print("\t".join([str(r["id"]), r["username"], r["role"], r["scope"], *times]))
    return 0


def run_users(args: argparse.Namespace, settings: Settings, stdin: TextIO | None = None) -> int:
    from config.loader import ConfigError

    stdin = stdin or sys.stdin
    if args.action in ("sessions", "signout"):
        return _sessions(args, settings)
    path = Path(args.file) if args.file else users_path(settings.dashboard.users_file,
                                                        args.config)
    try:
        users = load_users(path)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"ioc users: {problem}", file=sys.stderr)
        return 2
    if args.action == "list":
        for name, entry in sorted(users.users.items()):
            state = " (disabled)" if entry.disabled else ""
            print(f"{name}\t{entry.role}\t{entry.scope}\t{entry.name}{state}")
        return 0
    name = args.username.strip().lower()
    try:
        users, action, detail = _change(args, users, name, stdin)
    except (ValueError, KeyError) as exc:
        print(f"ioc users {args.action}: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    save_users(path, users)
    _audit(settings, action, name, detail)
    print(f"ioc users {args.action}: {name} ({path})")
    if action in ("user_passwd", "user_remove"):
        ended = _end_sessions(settings, name, audit_none=False)
        if ended:
            print(f"ioc users {args.action}: {ended} dashboard session(s) of {name} ended")
    return 0


def _change(args: argparse.Namespace, users: UsersFile, name: str,
            stdin: TextIO) -> tuple[UsersFile, str, str]:
    if args.action == "add":
        if name in users.users:
            raise ValueError(f"user {name!r} exists (use passwd, or remove first)")
        scope = checked_scope(args.scope)
        entry = UserEntry(name=args.name.strip(), role=args.role, scope=str(scope),
                          password_hash=hash_password(read_password(stdin, name)))
        return with_user(users, name, entry), "user_add", f"{args.role} · {scope}"
    if args.action == "passwd":
        if name not in users.users:
            raise KeyError(f"no user named {name!r}")
        entry = users.users[name].model_copy(
            update={"password_hash": hash_password(read_password(stdin, name))})
        return with_user(users, name, entry), "user_passwd", ""
    return without_user(users, name), "user_remove", ""


def run_kiosk(args: argparse.Namespace, settings: Settings) -> int:
    from metrics.access import kiosk
    from metrics.store import Store

    actor = f"cli:{getpass.getuser()}"
    with Store.open(settings.store.url) as store:
        if args.action == "create":
            try:
                scope = checked_scope(args.scope)
                link_id, token = kiosk.create(store, label=args.label, scope=scope, actor=actor)
            except ValueError as exc:
                print(f"ioc kiosk create: {exc}", file=sys.stderr)
                return 2
            base = args.base_url or f"http://localhost:{settings.dashboard.port}/"
            base = base if base.endswith("/") else base + "/"
            print(f"kiosk link {link_id} ({args.label}, {scope}); shown once, keep it safe:")
            print(f"{base}?kiosk={token}")
            return 0
        if args.action == "revoke":
            try:
                kiosk.revoke(store, args.id, actor=actor)
            except KeyError as exc:
                print(f"ioc kiosk revoke: {exc.args[0]}", file=sys.stderr)
                return 2
            print(f"ioc kiosk revoke: link {args.id} revoked")
            return 0
        for r in kiosk.links(store).iter_rows(named=True):
            state = "revoked" if r["revoked_at"] is not None else "active"
            print(f"{r['id']}\t{state}\t{r['scope']}\t{r['label']}\t{r['created_by']}")
    return 0
