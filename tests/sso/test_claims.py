"""The provider's claims as a Pulse username and roles (pure: no database)."""

import pytest

from core.sso.claims import claim_values, roles_from_claims, username_from_claims

ROLE_MAP = {"pulse-tpm": "TPM", "pulse-leaders": "leadership", "pulse-typo": "Overlord"}


@pytest.mark.parametrize(
    ("claims", "username"),
    [
        ({"preferred_username": "tina.tpm", "email": "tina@example.com"}, "tina.tpm"),
        ({"preferred_username": "  ", "email": "tina@example.com"}, "tina@example.com"),
        ({"email": " tina@example.com "}, "tina@example.com"),
        ({"preferred_username": "tina tpm"}, ""),  # a space: no Django username
        ({"preferred_username": "x" * 151}, ""),
        ({"sub": "12345"}, ""),
    ],
)
def test_the_username_is_preferred_username_else_the_email(claims, username):
    assert username_from_claims(claims) == username


def roles(claims, **kwargs):
    return roles_from_claims(claims, groups_claim="groups", role_map=ROLE_MAP, **kwargs)


def test_groups_map_to_roles_and_unmapped_groups_give_none():
    assert roles({"groups": ["pulse-tpm", "pulse-leaders", "staff"]}) == {"TPM", "Leadership"}
    assert roles({"groups": ["staff"]}) == frozenset()
    assert roles({}) == frozenset()


def test_a_map_to_no_role_is_ignored():
    assert roles({"groups": ["pulse-typo"]}) == frozenset()


def test_the_default_role_goes_to_people_in_no_mapped_group_only():
    assert roles({"groups": ["staff"]}, default_role="Engineer") == {"Engineer"}
    assert roles({"groups": ["pulse-tpm"]}, default_role="Engineer") == {"TPM"}


def test_one_group_as_a_string_and_nested_claims():
    assert roles({"groups": "pulse-tpm"}) == {"TPM"}
    keycloak = {"realm_access": {"roles": ["pulse-leaders", "offline_access"]}}
    assert claim_values(keycloak, "realm_access.roles") == ["pulse-leaders", "offline_access"]
    assert roles_from_claims(keycloak, groups_claim="realm_access.roles", role_map=ROLE_MAP) == {
        "Leadership"
    }
    assert claim_values({"groups": [1, "a", None]}, "groups") == ["a"]
    assert claim_values({"realm_access": "x"}, "realm_access.roles") == []
