"""A person's whole visit, in headless Chromium through nginx."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.cluster.harness import NGINX, PASSWORD, ROOT

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("healthy_cluster")]

SCREENSHOTS = ROOT / "reports" / "screenshots"
CHROMIUM = "/usr/bin/chromium"


@contextmanager
def browser_page(request, locale: str):
    """A headless Chromium page whose browser asks for `locale` (its Accept-Language)."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    assert Path(CHROMIUM).exists(), "chromium is missing: run `make deps-test`"
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(locale=locale)
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
        context.close()
        browser.close()


@pytest.fixture
def page(request):
    with browser_page(request, "es-ES") as page:
        yield page


@pytest.fixture
def english_page(request):
    with browser_page(request, "en-US") as page:
        yield page


def fill(page, values: dict[str, str]) -> None:
    for selector, value in values.items():
        page.fill(selector, value)


def register(page, name: str) -> None:
    page.goto(f"{NGINX}/register")
    assert "Crear una cuenta" in page.content()
    fill(
        page,
        {
            "#id_username": name,
            "#id_email": f"{name}@example.com",
            "#id_password1": PASSWORD,
            "#id_password2": PASSWORD,
        },
    )
    page.click("#register-form button[type=submit]")
    page.wait_for_url(f"{NGINX}/dashboard")


def test_register_sign_in_create_edit_delete_sign_out(page):
    name = f"nav{uuid.uuid4().hex[:8]}"
    codigo = f"WEB-{uuid.uuid4().hex[:6]}".upper()

    register(page, name)
    assert "Cuenta creada" in page.content()

    # Sign out and back in with the email address.
    page.click("text=Cerrar sesión")
    page.wait_for_url(f"{NGINX}/login")
    page.fill("#id_username", f"{name}@example.com")
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{NGINX}/dashboard")

    page.click("text=Nueva sala")
    page.fill("#id_nombre", "Sala del navegador")
    page.fill("#id_codigo", codigo)
    page.fill("#id_capacidad", "0")
    page.click("#sala-form button[type=submit]")
    # The browser itself refuses a capacity below 1 (the form's min attribute)...
    assert page.eval_on_selector("#id_capacidad", "input => input.validity.rangeUnderflow")
    # ...and the server explains a bad code, in Spanish, next to the field.
    page.fill("#id_capacidad", "25")
    page.fill("#id_codigo", "con espacio")
    page.click("#sala-form button[type=submit]")
    assert "Entre 3 y 20 caracteres: letras, dígitos y guiones." in page.inner_text(".has-errors")
    page.fill("#id_codigo", codigo)
    page.click("#sala-form button[type=submit]")
    page.wait_for_url(f"{NGINX}/salas/{codigo}/")
    assert page.inner_text("#capacidad") == "25"

    # The new room is on the dashboard at once, whichever node answers.
    page.goto(f"{NGINX}/dashboard?q={codigo}")
    assert page.locator("#salas").inner_text().count(codigo) == 1

    page.goto(f"{NGINX}/salas/{codigo}/editar/")
    page.fill("#id_capacidad", "40")
    page.click("#sala-form button[type=submit]")
    page.wait_for_url(f"{NGINX}/salas/{codigo}/")
    assert page.inner_text("#capacidad") == "40"

    page.click("text=Eliminar")
    page.click("#delete-form button[type=submit]")
    page.wait_for_url(f"{NGINX}/dashboard")
    assert "eliminada" in page.content()
    page.goto(f"{NGINX}/dashboard?q={codigo}")
    assert "No hay salas que coincidan." in page.content()

    page.click("text=Cerrar sesión")
    page.wait_for_url(f"{NGINX}/login")
    page.goto(f"{NGINX}/dashboard")
    assert page.url.startswith(f"{NGINX}/login")


def test_book_a_room_from_its_page_see_it_in_mis_reservas_and_cancel(page):
    name = f"res{uuid.uuid4().hex[:8]}"
    codigo = f"RES-{uuid.uuid4().hex[:6]}".upper()
    register(page, name)
    page.click("text=Nueva sala")
    fill(page, {"#id_nombre": "Sala para reservar", "#id_codigo": codigo, "#id_capacidad": "6"})
    page.click("#sala-form button[type=submit]")
    page.wait_for_url(f"{NGINX}/salas/{codigo}/")

    day = (date.today() + timedelta(days=2)).isoformat()
    booking = {"#id_fecha": day, "#id_hora_inicio": "10:00", "#id_hora_fin": "11:30", "#id_asistentes": "4"}
    fill(page, {"#id_titulo": "Reunión del navegador", **booking})
    page.click("#reserva-form button[type=submit]")
    page.wait_for_url(f"{NGINX}/salas/{codigo}/?semana=*")
    assert "confirmada" in page.inner_text(".messages")
    assert "10:00–11:30" in page.inner_text("#calendario")
    # The day's own view, from its heading in the week.
    page.click(f'#calendario a[href="?dia={day}"]')
    page.wait_for_url(f"{NGINX}/salas/{codigo}/?dia={day}")
    assert "10:00–11:30" in page.inner_text("#calendario") and page.is_visible("#dia-siguiente")

    # The same slot again: refused, with the conflicting booking shown in the form.
    fill(page, {**booking, "#id_titulo": "Otra", "#id_hora_inicio": "11:00", "#id_hora_fin": "12:00"})
    page.click("#reserva-form button[type=submit]")
    assert "10:00–11:30" in page.inner_text("#conflictos")

    page.click("text=Mis reservas")
    page.wait_for_url(f"{NGINX}/reservas/")
    row = page.locator("#reservas tbody tr", has_text="Reunión del navegador")
    assert row.count() == 1
    assert page.inner_text("#feed-url").endswith("/mias.ics")
    row.locator(".cancel-form button").click()
    page.wait_for_url(f"{NGINX}/reservas/")
    assert "canceladas: 1" in page.inner_text(".messages")
    assert "Reunión del navegador" not in page.content()


def test_the_page_follows_the_browser_and_the_switcher_changes_it(english_page):
    page = english_page
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security" in message.text else None,
    )
    page.goto(f"{NGINX}/login")
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("label[for=id_username]") == "Username or email"
    assert page.inner_text("label[for=id_password]") == "Password"

    page.click("#language-switcher button[value=es]")
    page.wait_for_url(f"{NGINX}/login")
    assert page.get_attribute("html", "lang") == "es"
    assert page.inner_text("label[for=id_username]") == "Usuario o correo electrónico"
    assert page.inner_text("label[for=id_password]") == "Contraseña"

    # The choice outlives the page (a cookie), whatever the browser asks for.
    page.goto(f"{NGINX}/register")
    assert "Crear una cuenta" in page.content()
    page.click("#language-switcher button[value=en]")
    page.wait_for_url(f"{NGINX}/register")
    assert "Create an account" in page.content() and page.get_attribute("html", "lang") == "en"
    assert violations == []


def test_the_api_docs_page_renders_every_operation_under_the_csp(page):
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    schema = page.request.get(f"{NGINX}/api/openapi.json").json()
    operations = sum(len(methods) for methods in schema["paths"].values())
    page.goto(f"{NGINX}/api/docs")
    page.wait_for_selector(".opblock")
    assert page.locator(".opblock").count() == operations
    assert not [m for m in messages if "Content Security" in m or "Refused" in m], messages


def test_change_password_from_the_menu(page):
    name = f"clave{uuid.uuid4().hex[:8]}"
    register(page, name)
    page.click(f"header nav a.who:has-text('{name}')")
    page.wait_for_url(f"{NGINX}/password")
    new_password = f"Nueva-{uuid.uuid4().hex[:8]}"
    fill(
        page,
        {
            "#id_old_password": PASSWORD,
            "#id_new_password1": new_password,
            "#id_new_password2": new_password,
        },
    )
    page.click("#password-change-form button[type=submit]")
    page.wait_for_url(f"{NGINX}/dashboard")
    assert "Contraseña cambiada" in page.content()
    # Still signed in (this session kept), and the link to the forgotten-password page is on the login form.
    page.click("header nav form button[type=submit]")
    page.wait_for_url(f"{NGINX}/login")
    assert page.locator("a[href='/password/reset/']").count() == 1
    fill(page, {"#id_username": name, "#id_password": new_password})
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{NGINX}/dashboard")
