"""Free text has limits, in the model, the form and the API, with a clear message; nothing is
saved when a field is over its limit."""

import pytest
from django.urls import reverse

from core.models import LONG_TEXT, SHORT_TEXT
from programs.models import StatusUpdate
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_the_api_refuses_an_update_over_the_limit_with_the_fields_message(api_client, tpm, program):
    api_client.force_authenticate(tpm)
    body = {
        "program": program.slug,
        "reported_health": "on_track",
        "summary": "x" * (LONG_TEXT + 1),
    }
    response = api_client.post("/api/v1/status-updates/", body, format="json")
    assert response.status_code == 400
    assert "summary" in response.json()
    assert "20000" in str(response.json()["summary"]).replace(",", "")
    assert not StatusUpdate.objects.exists()
    body["summary"] = "x" * LONG_TEXT
    assert api_client.post("/api/v1/status-updates/", body, format="json").status_code == 201


def test_the_form_refuses_it_too_and_keeps_what_was_typed(client, tpm, program):
    client = client_for(client, tpm)
    url = reverse("programs:update-create", args=[program.slug])
    response = client.post(url, {"reported_health": "on_track", "summary": "y" * (LONG_TEXT + 1)})
    assert response.status_code == 200  # the form again, with the error
    assert "at most 20,000 characters" in response.content.decode().replace("20000", "20,000")
    assert not StatusUpdate.objects.exists()


def test_a_slip_reason_is_short(api_client, tpm, program):
    from tests.factories import MilestoneFactory

    milestone = MilestoneFactory(program=program)
    api_client.force_authenticate(tpm)
    response = api_client.post(
        f"/api/v1/milestones/{milestone.pk}/move/",
        {
            "target_date": "2027-12-01",
            "category": "scope",
            "reason": "r" * (SHORT_TEXT + 1),
            "version": milestone.version,
        },
        format="json",
    )
    assert response.status_code == 400 and "reason" in response.json()


def test_every_free_text_field_of_ours_has_a_limit():
    """A new TextField without a limit is caught here (generated text is the one exception)."""
    from django.apps import apps
    from django.db import models

    from core.models import BoundedTextField

    generated = {("metrics", "weeklyreport", "markdown")}
    unbounded = [
        f"{model._meta.label}.{field.name}"
        for app in ("programs", "reviews", "metrics", "core")
        for model in apps.get_app_config(app).get_models()
        if not model.__name__.startswith("Historical")
        for field in model._meta.get_fields()
        if isinstance(field, models.TextField)
        and not isinstance(field, BoundedTextField)
        and (app, model._meta.model_name, field.name) not in generated
    ]
    assert unbounded == []


def test_a_long_update_shows_its_start_and_a_way_to_read_the_whole(client, tpm, program):
    from programs import services

    long = "Word " * 1000  # 5,000 characters
    services.status_update_post(program=program, user=tpm, reported_health="on_track", summary=long)
    page = client_for(client, tpm).get(program.get_absolute_url()).content.decode()
    assert '<details class="folded-full"><summary>Read all (5,000 characters)</summary>' in page
    preview = page.split('<div class="folded-preview">', 1)[1].split("</div>", 1)[0]
    assert preview.count("Word") < 400  # the start only; the whole is inside the disclosure
