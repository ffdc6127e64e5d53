"""The metrics REST API: success metrics, their readings, and programs' computed health."""
