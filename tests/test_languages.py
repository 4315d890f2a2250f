"""One language per page: every page in Spanish and in English, with nothing of the other.

The catalogue (locale/en) has the Spanish source strings as msgids and English as msgstrs,
so the vocabulary of each language comes from it: on an English page no Spanish msgid may
appear, on a Spanish page no English msgstr. Django's own words (month and weekday names,
"Password", "p.m.") are checked by name, since those come from Django's catalogues.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from reservas.tests.factories import ReservaFactory
from salas.tests.factories import SalaFactory

pytestmark = pytest.mark.django_db

REPO = Path(settings.BASE_DIR)
PO_FILE = REPO / "locale" / "en" / "LC_MESSAGES" / "django.po"
BROWSER = {
    "es": "es-ES,es;q=0.9,en;q=0.5",
    "en": "en-US,en;q=0.9",
}
# Words of each language that come from Django's own catalogues or formats, not ours; the
# first four of each are the mixes issue 23 found ("Semana del 30 de November", ...).
DJANGO_WORDS = {
    "es": ["Contraseña", "noviembre", "diciembre", "lunes", "domingo", "a las", "Este campo es obligatorio"],
    "en": ["Password", "November", "December", "Monday", "Sunday", "p.m.", "a.m.", "This field is required"],
}
# The product's name stays "Salas" in both languages (page titles, the admin's header).
PRODUCT_NAME = re.compile(r"[·|] Salas\b|\bSalas —")


def parse_po(path: Path) -> list[tuple[str, list[str], str]]:
    """(msgid, msgstrs, flags) for each entry of a .po file (the header excluded)."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        key = ""
        flags = " ".join(line for line in block.splitlines() if line.startswith("#,"))
        for line in block.splitlines():
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$', line)
            if match:
                key = match.group(1)
                fields[key] = _unquote(match.group(2))
            elif line.startswith('"') and key:
                fields[key] += _unquote(line[1:-1])
        if fields.get("msgid"):
            strs = [value for name, value in fields.items() if name.startswith("msgstr")]
            entries.append((fields["msgid"], strs, flags))
    return entries


def _unquote(text: str) -> str:
    return text.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def vocabulary() -> dict[str, set[str]]:
    """Each language's phrases from the catalogue, placeholders cut out (they hold data)."""
    words: dict[str, set[str]] = {"es": set(), "en": set()}
    for msgid, msgstrs, _flags in parse_po(PO_FILE):
        for language, texts in (("es", [msgid]), ("en", msgstrs)):
            for text in texts:
                pieces = (piece.strip(" .:¿?¡!«»()") for piece in re.split(r"%\(\w+\)[sd]", text))
                words[language].update(piece for piece in pieces if len(piece) >= 3)
    # A phrase both languages use is evidence of neither.
    shared = words["es"] & words["en"]
    return {language: found - shared for language, found in words.items()}


class VisibleText(HTMLParser):
    """The text a reader sees, without elements marked as another language (the switcher) or code (URLs)."""

    def __init__(self, language: str):
        super().__init__()
        self.language = language
        self.skipping: list[str] = []
        self.parts: list[str] = []
        self.html_lang = ""

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.html_lang = attributes.get("lang") or ""
        other_language = tag != "html" and attributes.get("lang") not in {None, self.language}
        if self.skipping or tag in {"script", "style", "code"} or other_language:
            self.skipping.append(tag)
        for name in ("title", "placeholder", "aria-label"):
            if attributes.get(name) and not self.skipping:
                self.parts.append(attributes[name])

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return PRODUCT_NAME.sub(" ", " ".join(" ".join(self.parts).split()))


def foreign_phrases(html: str, language: str, vocab: dict[str, set[str]]) -> list[str]:
    """The other language's phrases found on a page meant to be in `language`."""
    parser = VisibleText(language)
    parser.feed(html)
    assert parser.html_lang == language, f'<html lang="{parser.html_lang}">, expected {language}'
    other = "en" if language == "es" else "es"
    phrases = vocab[other] | set(DJANGO_WORDS[other])
    return sorted(p for p in phrases if re.search(rf"(?<!\w){re.escape(p)}(?!\w)", parser.text))


def test_the_check_finds_the_mixes_issue_23_reported():
    # The English login and room pages as they were: Spanish labels beside Django's English.
    mixed = (
        '<html lang="en"><body><label>Usuario o correo electrónico</label><label>Password</label>'
        "<h2>Semana del 30 de November de 2026</h2><h3>Monday 30</h3><dd>Dec. 6, 2026, 5:11 p.m.</dd>"
    )
    found = foreign_phrases(mixed, "en", vocabulary())
    assert {"Usuario o correo electrónico", "Semana del"} <= set(found)
    found = foreign_phrases(mixed.replace('lang="en"', 'lang="es"'), "es", vocabulary())
    assert {"Password", "November", "Monday", "p.m."} <= set(found)


@pytest.fixture(scope="module")
def vocab() -> dict[str, set[str]]:
    return vocabulary()


@pytest.fixture
def world(user, staff_user):
    """A room of the user's with bookings this week, one of them the user's own."""
    sala = SalaFactory(nombre="Orion", codigo="ORION-1", owner=user, capacidad=8)
    other = SalaFactory(nombre="Vega", codigo="VEGA-1", owner=staff_user, capacidad=4)
    start = (timezone.localtime() + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    ReservaFactory(sala=sala, usuario=user, titulo="Standup", inicio=start, fin=start + timedelta(hours=1))
    return {"sala": sala, "other": other, "start": start}


def _page_requests(world) -> list[tuple[str, str, str, dict | None]]:
    """(who, method, path, data): every page, anonymous, signed in and staff."""
    sala, start = world["sala"], timezone.localtime(world["start"])
    clash = {
        "titulo": "Clash",
        "fecha": start.date().isoformat(),
        "hora_inicio": start.strftime("%H:%M"),
        "hora_fin": (start + timedelta(minutes=30)).strftime("%H:%M"),
        "asistentes": 2,
    }
    search = {"fecha": start.date().isoformat(), "hora_inicio": "18:00", "hora_fin": "19:00"}
    return [
        ("anon", "get", "/login", None),
        ("anon", "post", "/login", {"username": "nobody", "password": "wrong"}),
        ("anon", "get", "/register", None),
        ("anon", "post", "/register", {"username": "", "email": "x", "password1": "a", "password2": "b"}),
        ("anon", "get", "/no-such-page", None),
        ("anon", "get", "/password/reset/", None),
        ("anon", "get", "/password/reset/sent/", None),
        ("anon", "get", "/password/reset/MQ/bad-token/", None),
        ("anon", "get", "/password/reset/complete/", None),
        ("user", "get", "/password", None),
        ("user", "post", "/password", {"old_password": "wrong", "new_password1": "a", "new_password2": "b"}),
        ("user", "get", "/dashboard", None),
        ("user", "get", "/dashboard?min_capacidad=-5", None),
        ("user", "get", "/salas/nueva/", None),
        ("user", "post", "/salas/nueva/", {"nombre": "", "codigo": "x", "capacidad": "0"}),
        ("user", "get", f"/salas/{sala.codigo}/", None),
        ("user", "get", f"/salas/{sala.codigo}/editar/", None),
        ("user", "get", f"/salas/{sala.codigo}/eliminar/", None),
        ("user", "get", f"/salas/{world['other'].codigo}/editar/", None),
        ("user", "post", f"/reservas/nueva/{sala.codigo}/", clash),
        ("user", "get", "/reservas/", None),
        ("user", "get", "/reservas/buscar/", None),
        ("user", "get", "/reservas/buscar/?" + "&".join(f"{k}={v}" for k, v in search.items()), None),
        ("staff", "get", "/admin/", None),
        ("staff", "get", "/admin/salas/sala/", None),
        ("staff", "get", f"/admin/salas/sala/{sala.pk}/change/", None),
        ("staff", "get", "/admin/reservas/reserva/", None),
        ("staff", "get", "/admin/accounts/user/", None),
        ("anon", "get", "/admin/login/", None),
    ]


@pytest.mark.parametrize("language", ["es", "en"])
def test_every_page_speaks_one_language(language, world, user, staff_user, vocab):
    clients = {"anon": Client(), "user": Client(), "staff": Client()}
    clients["user"].force_login(user)
    clients["staff"].force_login(staff_user)
    problems = {}
    for who, method, path, data in _page_requests(world):
        client = clients[who]
        response = getattr(client, method)(path, data or {}, HTTP_ACCEPT_LANGUAGE=BROWSER[language])
        assert response.status_code in {200, 400, 403, 404, 409}, (path, response.status_code)
        html = response.content.decode()
        assert 'id="language-switcher"' in html, f"{path}: no language switcher"
        found = foreign_phrases(html, language, vocab)
        if found:
            problems[f"{method.upper()} {path}"] = found
    assert not problems, f"pages in {language} with words of the other language: {problems}"


def test_a_page_after_a_write_shows_its_message_in_the_browsers_language(client, user, vocab):
    client.force_login(user)
    data = {"nombre": "Lyra", "codigo": "LYRA-1", "capacidad": "3"}
    response = client.post("/salas/nueva/", data, follow=True, HTTP_ACCEPT_LANGUAGE=BROWSER["en"])
    html = response.content.decode()
    assert "Room «Lyra» created." in html
    assert foreign_phrases(html, "en", vocab) == []


def test_dates_follow_the_page_language(client, user, world):
    client.force_login(user)
    path = f"/salas/{world['sala'].codigo}/"
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    spanish = client.get(path, HTTP_ACCEPT_LANGUAGE=BROWSER["es"]).content.decode()
    english = client.get(path, HTTP_ACCEPT_LANGUAGE=BROWSER["en"]).content.decode()
    assert f"Semana del {monday.day} de " in spanish and "lunes" in spanish
    assert "Week of " in english and f"Monday {monday.day}" in english


def test_the_switcher_overrides_the_browser(client):
    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": "/login"}, HTTP_ACCEPT_LANGUAGE=BROWSER["es"]
    )
    assert response.status_code == 302 and response["Location"] == "/login"
    page = client.get("/login", HTTP_ACCEPT_LANGUAGE=BROWSER["es"]).content.decode()
    assert '<html lang="en">' in page and "Username or email" in page
    client.post("/i18n/setlang/", {"language": "es", "next": "/login"}, HTTP_ACCEPT_LANGUAGE=BROWSER["en"])
    page = client.get("/login", HTTP_ACCEPT_LANGUAGE=BROWSER["en"]).content.decode()
    assert '<html lang="es">' in page and "Usuario o correo electrónico" in page


def test_spanish_is_the_default(client):
    page = client.get("/login").content.decode()
    assert '<html lang="es">' in page and "Iniciar sesión" in page
    page = client.get("/login", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").content.decode()
    assert '<html lang="es">' in page


@pytest.mark.parametrize(
    ("language", "error", "field_error"),
    [
        ("es", "Datos no válidos.", "Este campo es obligatorio."),
        ("en", "Invalid data.", "This field is required."),
    ],
)
def test_json_errors_follow_accept_language(user_api, language, error, field_error):
    response = user_api.send("POST", "/sala/create", {}, HTTP_ACCEPT_LANGUAGE=BROWSER[language])
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == error and body["fields"]["nombre"] == [field_error]


def test_the_500_page_follows_the_language(rf):
    from django.utils import translation

    from core.views import server_error

    with translation.override("en"):
        html = server_error(rf.get("/x")).content.decode()
    assert '<html lang="en">' in html and "Internal error" in html and "Error interno" not in html


def test_every_message_is_translated():
    """msgfmt's own count: nothing untranslated or fuzzy, and the format strings agree."""
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(PO_FILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"\d+ translated messages\.\n", result.stderr), result.stderr
    assert all("fuzzy" not in flags and all(msgstrs) for _id, msgstrs, flags in parse_po(PO_FILE))


def test_the_catalogue_matches_the_sources(tmp_path):
    """makemessages on a copy of the tree changes nothing: no new, no obsolete msgid."""
    copy = tmp_path / "repo"
    ignore = shutil.ignore_patterns(".*", "staticfiles", "__pycache__", "*.mo", "node_modules")
    shutil.copytree(REPO, copy, ignore=ignore)
    command = [sys.executable, "manage.py", "makemessages", "--locale=en", "--no-location"]
    result = subprocess.run(command, cwd=copy, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    fresh = parse_po(copy / PO_FILE.relative_to(REPO))
    assert fresh == parse_po(PO_FILE), "run `make messages` and translate what it adds"
    assert "#~" not in (copy / PO_FILE.relative_to(REPO)).read_text(encoding="utf-8")


def test_the_mo_file_is_built(settings):
    # compilemessages (make up, the Dockerfile) builds it; English pages need it.
    mo = PO_FILE.with_suffix(".mo")
    assert mo.is_file() and mo.stat().st_mtime >= PO_FILE.stat().st_mtime
