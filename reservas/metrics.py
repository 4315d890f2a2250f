"""Bookings' figures for GET /metrics: what reserva services wrote and what they refused."""

from prometheus_client import Counter

BOOKINGS = Counter(
    "salas_bookings",
    "Bookings (occurrences of a series included): created, or refused because they clashed "
    "with a confirmed booking (conflict).",
    ["result"],
)


def count_bookings(*, created: int, conflicts: int) -> None:
    if created:
        BOOKINGS.labels(result="created").inc(created)
    if conflicts:
        BOOKINGS.labels(result="conflict").inc(conflicts)
