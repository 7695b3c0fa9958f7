"""Demo-only accounts for `ioc demo`: one per role, with known passwords printed on the console.

Used only when the dashboard signs in with local accounts and the configured
users file is absent or empty: then `data/demo-users.yaml` is made (once) and
the demo's dashboard reads it. Never for a real site: the passwords are in
this file and in the console output. docs/security.md.
"""

from __future__ import annotations

from pathlib import Path

from config.registry import fleet
from config.roles import Role
from config.settings import Settings
from metrics.access.accounts import (
    UserEntry,
    UsersFile,
    hash_password,
    load_users,
    save_users,
    users_path,
)

DEMO_FILE = Path("data/demo-users.yaml")  # beside the demo's SQLite file


def demo_accounts(province: int) -> list[tuple[str, str, Role, str, str]]:
    """(user name, password, role, scope, full name) of each demo account."""
    centres = sorted((c for c in fleet(f"province:{province}") if c.kind != "province"),
                     key=lambda c: c.id)
    accounts: list[tuple[str, str, Role, str, str]] = [
        ("lanhdao", "lanhdao-demo", "leader", f"province:{province}", "Lãnh đạo (demo)"),
        ("canbo", "canbo-demo", "ioc_staff", f"province:{province}", "Cán bộ IOC (demo)"),
        ("kythuat", "kythuat-demo", "tech", f"province:{province}", "Kỹ thuật (demo)"),
        ("quantri", "quantri-demo", "admin", "national", "Quản trị (demo)"),
    ]
    if centres:
        accounts.append(("canboxa", "canboxa-demo", "ioc_staff", f"commune:{centres[0].id}",
                         f"Cán bộ {centres[0].name} (demo)"))
    return accounts


def prepare(settings: Settings, config_file: str | None,
            path: Path = DEMO_FILE) -> tuple[dict[str, str], list[str]]:
    """(environment for the dashboard, lines to print). Makes the demo users file when the
    site has no accounts of its own; nothing when sign-in is not local."""
    if settings.dashboard.auth != "local":
        return {}, [f"ioc demo: dashboard sign-in: {settings.dashboard.auth}"]
    own = users_path(settings.dashboard.users_file, config_file)
    if own.exists() and load_users(own).users:
        return {}, [f"ioc demo: sign in with the accounts in {own}"]
    accounts = demo_accounts(settings.deployment.province or 46)
    if not path.exists():
        save_users(path, UsersFile(users={
            name: UserEntry(name=full, role=role, scope=scope,
                            password_hash=hash_password(password))
            for name, password, role, scope, full in accounts}))
    lines = [f"ioc demo: DEMO ACCOUNTS ONLY ({path}; never use these on a real site):"]
    lines += [f"  {name:<9} / {password:<12} {role:<9} {scope}"
              for name, password, role, scope, _ in accounts]
    return {"IOC_DASHBOARD__USERS_FILE": str(path.resolve())}, lines
