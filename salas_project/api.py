"""The JSON API: one django-ninja API, the only router of every JSON route (salas_project/urls.py mounts it).

Each app declares its routes on a ninja Router in its api.py, with typed schemas
(its schemas.py); core/api.py keeps ninja to the project's contract (CSRF, errors,
405). GET /api/openapi.json (OpenAPI 3.1) describes it and /api/docs shows it.
tests/test_openapi.py checks the schema against the URLconf, tests/cluster/test_openapi.py
the running API against the schema.
"""

from __future__ import annotations

from accounts.api import router as accounts_router
from core.api import ContractAPI
from replication.api import router as status_router
from reservas.api import router as reservas_router
from salas.api import router as salas_router

DESCRIPTION = """JSON in and out. Every error is `{"error": "<message>", "fields": {"<field>": ["..."]}}`,
its messages in the language of `Accept-Language` (Spanish by default, or English).
Sign in with `POST /auth/login` (a session cookie); state-changing requests send the
`csrftoken` cookie's value (from `GET /auth/csrf`) in the `X-CSRFToken` header."""

api = ContractAPI(
    title="salas",
    version="1",
    description=DESCRIPTION,
    openapi_url="/api/openapi.json",
    docs_url="/api/docs",
    urls_namespace="api",
)
# Order matters only where paths could overlap; none do ({codigo} takes no "/", {int:pk} digits only).
api.add_router("", accounts_router)
api.add_router("", salas_router)
api.add_router("", reservas_router)
api.add_router("", status_router)
