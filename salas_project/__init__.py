"""The Django project: settings (all read from the environment), root URLs, WSGI.

Not here: business logic, which lives in the apps (accounts/, salas/, reservas/, ...).
"""
