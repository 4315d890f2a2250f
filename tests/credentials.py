"""The password every test, Locust and bench user signs up with (passes Django's validators)."""

PASSWORD = "Cl4ve-Segura-2026"
