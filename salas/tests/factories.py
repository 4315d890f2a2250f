import factory

from accounts.tests.factories import UserFactory
from salas.models import Sala


class SalaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sala

    nombre = factory.Sequence(lambda n: f"Sala {n}")
    codigo = factory.Sequence(lambda n: f"SALA-{n:04d}")
    capacidad = 20
    owner = factory.SubFactory(UserFactory)
