"""People and their access: invitations, the admin's edit of a user, new passwords, API tokens, the sign-in
policy. The web forms and the API build these models; the services receive them valid."""
from __future__ import annotations

from typing import Annotated, Optional

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from ..enums import Language, PlatformField, Role
from .types import Email, Id, Input, OptionalText, Text, Version

TOKEN_DAYS_DEFAULT, TOKEN_DAYS_MAX = 90, 365
PASSWORD_MAX = 1024
MAX_LOAD_MAX = 200  # a reviewer's cap of assignments per cycle is at most this


def _blank_as_none(value):
    return None if isinstance(value, str) and not value.strip() else value


#: a reviewer's maximum load per cycle (DESIGN §10): a whole number from 1, or empty (no cap)
MaxLoad = Annotated[Optional[Annotated[int, Field(ge=1, le=MAX_LOAD_MAX)]], BeforeValidator(_blank_as_none)]


class TokenCreate(Input):
    """A new API token: what it is for, and how many days it lives (default 90, at most 365)."""

    label: Text(100)
    days: Annotated[int, Field(ge=1, le=TOKEN_DAYS_MAX)] = TOKEN_DAYS_DEFAULT


class UserFields(Input):
    """What an admin sets on a user: the name, the role, the institution, the platform bindings, and for a
    reviewer the fields of expertise and the maximum load per cycle (DESIGN §10)."""

    display_name: Text(120)
    role: Role
    affiliation: OptionalText(200) = ""  # the institution's name: found by normalised name, or created
    institution_id: Optional[Id] = None  # the institution (DESIGN §17); wins over the name
    operator_platforms: list[Id] = Field(default_factory=list, max_length=200)
    gatekeeper_platforms: list[Id] = Field(default_factory=list, max_length=200)
    expertise: list[PlatformField] = Field(default_factory=list, max_length=20)  # platform fields (DESIGN §10)
    max_load: MaxLoad = None  # the most assignments per cycle; empty: no cap


class UserInvite(UserFields):
    """A new user, without a password: they set one through the invitation link."""

    email: Email
    preferred_lang: Language = Language.ZH


class UserUpdate(UserFields):
    pass


class NewPassword(Input):
    """A password chosen twice (invitation, reset): the policy is checked by the service, which knows the
    e-mail it may not contain."""

    password: Text(PASSWORD_MAX)
    confirm: Text(PASSWORD_MAX)

    @field_validator("confirm")
    @classmethod
    def _same(cls, value: str, info: ValidationInfo) -> str:
        if "password" in info.data and value != info.data["password"]:
            raise PydanticCustomError("passwords_differ", "the two passwords differ")
        return value


class ForgotPassword(Input):
    email: Email


class SignInPolicyUpdate(Input):
    """The roles that must sign in through a directory."""

    directory_roles: list[Role] = Field(default_factory=list)
    version: Version
