"""The programs API's schema class: the shared ``core.schema.PulseAutoSchema``, kept importable here."""

from core.schema import PulseAutoSchema

__all__ = ["PulseAutoSchema"]
