from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReservasConfig(AppConfig):
    name = "reservas"
    verbose_name = _("Reservas")

    def ready(self) -> None:
        # The apps below reservas never import it: it hooks into them here.
        from accounts.models import User
        from accounts.signals import me_fields, password_changed
        from reservas import receivers
        from reservas.feeds import rotate_on_password_change
        from salas.models import Sala
        from salas.signals import sala_capacity_changing, sala_deleting

        sala_deleting.connect(receivers.refuse_delete_with_future_bookings, sender=Sala)
        sala_capacity_changing.connect(receivers.refuse_capacity_below_bookings, sender=Sala)
        me_fields.connect(receivers.me_feed_url, sender=User)
        password_changed.connect(rotate_on_password_change, dispatch_uid="reservas.feeds.rotate")
