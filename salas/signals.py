"""Hooks for the apps built on rooms: they may refuse a room's delete or a smaller capacity.

salas never imports those apps (`reservas` -> `salas`, one way); they connect
receivers here in their AppConfig.ready(). The services send these with the
room's row locked (SELECT ... FOR UPDATE), so what a receiver counts cannot
change before the write. A receiver refuses by raising ValidationError; the
service lets it through to its caller (409 with code "conflict").
"""

from django.dispatch import Signal

# Sent before a room is deleted; keyword argument `sala`.
sala_deleting = Signal()
# Sent before a room's capacity is saved; `sala` carries the new capacity.
sala_capacity_changing = Signal()
