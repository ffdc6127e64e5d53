"""Who may do what with playbooks (django-rules predicates).

- read playbooks and every version: everyone signed in (they are the organisation's process,
  nothing confidential);
- create a playbook: the TPM role and admins;
- publish a version, change the metadata, mark it reviewed: its owners and admins.
"""

import rules

from programs.rules import is_pulse_admin, is_tpm_role


def _owner_ids(playbook) -> set[int]:
    """The owners' ids, read once per playbook object (or from a prefetch of ``owners``)."""
    cache = getattr(playbook, "_owner_ids", None)
    if cache is None:
        prefetched = getattr(playbook, "_prefetched_objects_cache", {}).get("owners")
        if prefetched is not None:
            cache = {owner.pk for owner in prefetched}
        else:
            cache = set(playbook.owners.values_list("pk", flat=True))
        playbook._owner_ids = cache
    return cache


@rules.predicate
def is_playbook_owner(user, playbook) -> bool:
    if playbook is None or not user.is_authenticated:
        return False
    return user.pk in _owner_ids(playbook)


can_edit_playbook = is_playbook_owner | is_pulse_admin

rules.add_perm("playbooks.view_playbook", rules.is_authenticated)
rules.add_perm("playbooks.add_playbook", rules.is_authenticated & (is_tpm_role | is_pulse_admin))
rules.add_perm("playbooks.change_playbook", rules.is_authenticated & can_edit_playbook)
