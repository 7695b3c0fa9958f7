"""Who may do what: the dashboard's roles, and the claim rules that give a person signed in
through the site's identity provider a role and a scope (`dashboard.oidc`, docs/security.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from config.scope import Scope

ROLES = ("leader", "ioc_staff", "tech", "admin")
Role = Literal["leader", "ioc_staff", "tech", "admin"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def check_scope(value: str) -> str:
    """`value` as a scope's canonical text; ValueError quoting it when it is not one."""
    return str(Scope.parse(value))


class ClaimRule(_Strict):
    """If the identity's `claim` equals `value` (or, for a list claim, contains it), the
    person gets `role` and `scope`. Rules are tried in order; the first match wins."""

    claim: str = Field(min_length=1)
    value: str = Field(min_length=1)
    role: Role
    scope: str

    @field_validator("scope")
    @classmethod
    def _scope_ok(cls, value: str) -> str:
        return check_scope(value)


class OidcSettings(_Strict):
    """`dashboard.oidc`: the provider (None: the `[auth]` block of .streamlit/secrets.toml,
    else `[auth.<provider>]`), the claim that names the person, and the role rules."""

    provider: str | None = Field(default=None, pattern=r"^[A-Za-z0-9-]{1,40}$")
    username_claim: str = "email"
    rules: tuple[ClaimRule, ...] = ()
