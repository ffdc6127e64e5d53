"""Plan templates in the admin: versioned like checklists (a template plans follow is frozen;
copy it, edit the copy, activate it)."""

from programs.plans import services
from programs.plans.models import PlanTemplate
from tests.conftest import client_for
from tests.factories import ProgramFactory
from tests.plans.test_plans import infrastructure


def test_an_admin_copies_a_template_in_use_as_a_new_version_and_activates_it(
    client, admin_user, tpm
):
    template = infrastructure()
    services.plan_start(program=ProgramFactory(tpm=tpm), template=template, user=tpm)
    client_for(client, admin_user)
    listing = client.get("/admin/plans/plantemplate/").content.decode()
    assert "Infrastructure program" in listing and "Migration or deprecation" in listing
    page = client.get(f"/admin/plans/plantemplate/{template.pk}/change/").content.decode()
    assert 'name="sections-0-title"' not in page  # in use: its sections are frozen
    response = client.post(
        "/admin/plans/plantemplate/",
        {"action": "copy_as_new_version", "_selected_action": [template.pk]},
    )
    assert response.status_code == 302
    copy = PlanTemplate.objects.get(name="Infrastructure program", version=2)
    assert not copy.active
    assert list(copy.sections.values_list("key", "material")) == list(
        template.sections.values_list("key", "material")
    )
    editable = client.get(f"/admin/plans/plantemplate/{copy.pk}/change/").content.decode()
    assert 'name="sections-0-title"' in editable
    client.post("/admin/plans/plantemplate/", {"action": "activate", "_selected_action": [copy.pk]})
    template.refresh_from_db()
    copy.refresh_from_db()
    assert copy.active and not template.active
    assert client.get("/admin/plans/plan/").status_code == 200
