from django.apps import AppConfig


class FastPathConfig(AppConfig):
    name = "fastpath"
    verbose_name = "Fast path"

    def ready(self) -> None:
        from django.core import checks

        from fastpath.checks import check_fast_path

        checks.register(check_fast_path)
