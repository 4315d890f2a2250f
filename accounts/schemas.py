"""Accounts' JSON shapes (accounts/views.py builds them), as typed schemas for the OpenAPI description."""

from ninja import Field, Schema


class UserOut(Schema):
    id: int
    username: str
    email: str


class MeOut(UserOut):
    ical: str = Field(description="Absolute URL of the user's calendar feed.")


class CsrfOut(Schema):
    csrfToken: str  # camelCase: the JSON key clients read


class RegisterIn(Schema):
    username: str = Field(max_length=150)
    email: str = Field(max_length=254)
    password: str


class PasswordIn(Schema):
    old_password: str
    new_password: str


class LoginIn(Schema):
    username: str | None = Field(None, description="Username or email address.", max_length=254)
    email: str | None = Field(None, description="Instead of `username`.", max_length=254)
    password: str
