"""Dashboard accounts: the local users file, password hashing, and the OIDC claim rules.

The users file (default `config/users.yaml` beside the settings file; managed
with `ioc users add|passwd|remove|list`) holds, per user name, a role, a scope
and an argon2id hash — salted, so one password never gives the same hash
twice. The file is validated strictly: a bad key stops the dashboard with the
file, the key and the reason. No password is ever stored or printed.

Roles and the identity provider's claim rules are settings (config/roles.py).
"""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path
from typing import Annotated

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from config.roles import Role, check_scope

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._@-]{0,63}$"
Username = Annotated[str, StringConstraints(pattern=USERNAME_PATTERN)]
MIN_PASSWORD = 10  # characters; `ioc users` refuses shorter ones
MAX_PASSWORD = 1024  # longer input is refused before hashing (a hash costs 64 MiB of memory)
HEADER = ("# Dashboard accounts (docs/security.md). Managed with `ioc users add|passwd|remove|"
          "list`;\n# argon2id hashes only, never a password. Keep this file readable by the "
          "dashboard alone.\n")

_HASHER = PasswordHasher()  # argon2id: t=3, 64 MiB, p=4 (RFC 9106's 2nd choice)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UserEntry(_Strict):
    """One account: who it is, what it may do, what it may see, and its password's hash."""

    name: str = Field(default="", max_length=120)  # shown in the sidebar and the audit log
    role: Role
    scope: str  # national | province:<code> | commune:<centre id>
    password_hash: str = Field(pattern=r"^\$argon2id\$")
    disabled: bool = False

    @field_validator("scope")
    @classmethod
    def _scope_ok(cls, value: str) -> str:
        return check_scope(value)


class UsersFile(_Strict):
    users: dict[Username, UserEntry] = {}


# -- passwords ----------------------------------------------------------------

def hash_password(password: str) -> str:
    """A salted argon2id hash (a new random salt each call). ValueError if the length is out
    of bounds."""
    if not password or len(password) > MAX_PASSWORD:
        raise ValueError(f"password: give 1..{MAX_PASSWORD} characters")
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True only when `password` matches; a wrong password, an empty one, an over-long
    one or a hash that is not argon2 gives False (never an exception)."""
    if not password or len(password) > MAX_PASSWORD:
        return False
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@functools.cache
def dummy_hash() -> str:
    """A hash to verify against for an unknown user, so every attempt costs the same."""
    return hash_password("never a real password")


# -- the file -----------------------------------------------------------------

def load_users(path: Path, *, missing_ok: bool = True) -> UsersFile:
    """The validated users file; an absent file is an empty one when `missing_ok`.

    Raises config.loader.ConfigError naming the file and each bad key.
    """
    from config.loader import ConfigError, Problem, _read_yaml, validate_model

    if missing_ok and not path.exists():
        return UsersFile()
    data, problems = _read_yaml(path)
    if problems:
        raise ConfigError(problems)
    if data and not isinstance(data.get("users", {}), dict):
        raise ConfigError([Problem(str(path), "users", "must be a mapping of user names")])
    return validate_model(UsersFile, data, str(path))


def save_users(path: Path, users: UsersFile) -> None:
    """Write atomically (a temporary file renamed over the old one), readable by the owner
    only (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"users": {k: v.model_dump(exclude_defaults=True, exclude={"role", "scope",
                                                                          "password_hash"})
                      | {"role": v.role, "scope": v.scope, "password_hash": v.password_hash}
                      for k, v in sorted(users.users.items())}}
    text = HEADER + yaml.safe_dump(body, allow_unicode=True, sort_keys=False)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def with_user(users: UsersFile, username: str, entry: UserEntry) -> UsersFile:
    """A copy with `username` added or replaced."""
    return UsersFile(users={**users.users, username: entry})


def without_user(users: UsersFile, username: str) -> UsersFile:
    """A copy without `username`; KeyError when there is no such user."""
    if username not in users.users:
        raise KeyError(f"no user named {username!r}")
    return UsersFile(users={k: v for k, v in users.users.items() if k != username})


def users_path(users_file: Path, config_file: str | Path | None = None) -> Path:
    """The users file's path: as given when absolute, else beside the settings file
    (`config_file`, default $IOC_CONFIG or config/ioc.yaml)."""
    from config.loader import config_path

    if users_file.is_absolute():
        return users_file
    return config_path(config_file).resolve().parent / users_file
