"""Accounts' JSON shapes: what the API takes (validated by ninja) and answers (accounts/api.py builds it)."""

from ninja import Field, Schema
from pydantic import BaseModel, StrictStr


class UserOut(Schema):
    id: int
    username: str
    email: str


class MeOut(UserOut):
    ical: str = Field(description="Absolute URL of the user's calendar feed.")


class CsrfOut(Schema):
    csrfToken: str  # camelCase: the JSON key clients read


class RegisterIn(BaseModel):
    username: StrictStr = Field(min_length=1, json_schema_extra={"maxLength": 150})
    email: StrictStr = Field(min_length=1, json_schema_extra={"maxLength": 254})
    password: StrictStr = Field(min_length=1)


class PasswordIn(BaseModel):
    old_password: StrictStr = Field(min_length=1)
    new_password: StrictStr = Field(min_length=1)


class LoginIn(BaseModel):
    username: StrictStr | None = Field(None, description="Username or email address.", max_length=254)
    email: StrictStr | None = Field(None, description="Instead of `username`.", max_length=254)
    password: StrictStr = Field(min_length=1)
