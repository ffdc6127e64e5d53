"""Object-level permissions for programs, with django-rules predicates.

Who may do what:
- read a program: everyone signed in, unless it is confidential; then only its TPM and
  members, leadership and admins (``programs.selectors.visible_programs`` is the same rule
  as a queryset, for lists);
- edit a program and everything in it (milestones, updates, risks, decisions): its TPM,
  members with a lead role (TPM, engineering lead, PM) and admins;
- create a program: the TPM role and admins.
"""

import rules

from core.roles import Role, has_role, is_admin, sees_everything
from programs.models import EDITOR_ROLES


def _memberships(user, program) -> dict[int, str]:
    """user id → role on this program, read once per program object."""
    cache = getattr(program, "_membership_roles", None)
    if cache is None:
        cache = dict(program.memberships.values_list("user_id", "role"))
        program._membership_roles = cache
    return cache


@rules.predicate
def is_pulse_admin(user) -> bool:
    return is_admin(user)


@rules.predicate
def is_tpm_role(user) -> bool:
    return has_role(user, Role.TPM)


@rules.predicate
def is_program_member(user, program) -> bool:
    if program is None or not user.is_authenticated:
        return False
    return program.tpm_id == user.pk or user.pk in _memberships(user, program)


@rules.predicate
def is_program_editor(user, program) -> bool:
    if program is None or not user.is_authenticated:
        return False
    return program.tpm_id == user.pk or _memberships(user, program).get(user.pk) in EDITOR_ROLES


@rules.predicate
def reads_everything(user) -> bool:
    return sees_everything(user)


@rules.predicate
def is_public_program(user, program) -> bool:
    return program is not None and not program.confidential


can_view_program = is_public_program | is_program_member | reads_everything
can_edit_program = is_program_editor | is_pulse_admin

rules.add_perm("programs.view_program", rules.is_authenticated & can_view_program)
rules.add_perm("programs.change_program", rules.is_authenticated & can_edit_program)
rules.add_perm("programs.add_program", rules.is_authenticated & (is_tpm_role | is_pulse_admin))
