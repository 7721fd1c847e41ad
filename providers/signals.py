"""Django signals of the provider register, for apps that react to register changes.

Sent inside the transaction that made the change: a receiver's writes commit or roll back
together with it.
"""

from django.dispatch import Signal

# Sent by providers.services for every recorded change of a unit's status or stops, with
# `unit` (the changed Unit) and `event` (the UnitEvent just written).
unit_status_changed = Signal()
