"""Playbooks: the organisation's process documents, versioned, owned, linked from the
workflows they govern (issue 16). A Django app of its own (label ``playbooks``) inside
``programs``: the workflows of ``programs`` and ``reviews`` link to it."""
