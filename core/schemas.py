"""The error contract as a typed schema, for the API's OpenAPI description (salas_project/api.py)."""

from ninja import Schema


class ErrorOut(Schema):
    """Every error: a message, and the fields it concerns (`__all__` for the request as a whole)."""

    error: str
    fields: dict[str, list[str]]


class DetailOut(Schema):
    detail: str
