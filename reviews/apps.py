from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews"

    def ready(self) -> None:
        from programs import panels
        from programs.demo import DemoStage, register_demo_step
        from reviews.capacity.panels import capacity_panel
        from reviews.launch.guidance_demo import link_demo_checklists
        from reviews.launch.panels import launch_reviews_panel

        panels.register("reviews.launch_reviews", launch_reviews_panel)
        panels.register("reviews.capacity", capacity_panel)
        # Stage RECORDS: the launch reviews exist before metrics computes the demo's health.
        # Before "reviews.launch" (by name): the reviews copy the linked items.
        register_demo_step(
            "reviews.checklist_guidance", link_demo_checklists, stage=DemoStage.RECORDS
        )
        register_demo_step("reviews.launch", _seed_reviews, stage=DemoStage.RECORDS)
        register_demo_step(
            "reviews.operational", _seed_operational_reviews, stage=DemoStage.RECORDS
        )


def _seed_reviews(*, seed, write, today=None, launches=None, **kwargs) -> None:
    """``seed_demo`` finished the programs: add launch reviews (the ones its programs' stories
    call for, on the same ``today``) and capacity requests."""
    from io import StringIO

    from django.core.management import call_command

    from programs.signals import program_changes_unannounced

    out = StringIO()
    # Health is computed for every program once the demo is written (metrics' receiver runs
    # next): recomputing a program after each write of its review would cost seconds a review.
    with program_changes_unannounced():
        call_command("seed_reviews", seed=seed, today=today, plan=launches, stdout=out)
    for line in out.getvalue().splitlines():
        write(line)


def _seed_operational_reviews(*, seed, write, today=None, **kwargs) -> None:
    """Last week's review (closed, with action items, two still open) and this week's."""
    import datetime

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from programs.models import Program
    from reviews.ops import services as ops_services

    today = today or timezone.localdate()
    last_week = ops_services.operational_review_create_weekly(
        today=today - datetime.timedelta(days=7)
    )
    this_week = ops_services.operational_review_create_weekly(today=today)
    # The year of closed weekly reviews before them, with the action items they agreed.
    import random

    from reviews.management.demo_history import seed_past_operational_reviews

    scale = Program.objects.count()
    past_items = seed_past_operational_reviews(
        rng=random.Random(f"ops-history-{seed}"),  # noqa: S311 - demo data
        today=today, weeks=52, items_per_review=min(4, 2 + scale // 400),
    )  # fmt: skip
    write(f"Seeded a year of weekly operational reviews ({past_items} action items).")
    programs = list(Program.objects.filter(confidential=False).order_by("id")[:2])
    people = list(get_user_model().objects.filter(is_active=True).order_by("id")[:2])
    if last_week.is_closed or not programs or not people:
        return
    runner = programs[0].tpm
    for number, program in enumerate(programs):
        item = ops_services.action_item_create(
            review=last_week, user=runner, program=program, owner=people[number % len(people)],
            title=f"Follow up on {program.name}'s slipped milestone",
            due_date=last_week.date + datetime.timedelta(days=3 + 4 * number),
        )  # fmt: skip
        if number == 0:
            ops_services.action_item_transition(
                item=item, user=runner, action="close", version=item.version, review=last_week
            )
    # One of the demo TPM's own, overdue: it shows on their home page and "My action items".
    ops_services.action_item_create(
        review=last_week, user=runner, program=programs[0], owner=runner,
        title="Share the capacity forecast with finance",
        due_date=last_week.date + datetime.timedelta(days=4),
    )  # fmt: skip
    last_week.refresh_from_db()
    ops_services.operational_review_transition(
        review=last_week, user=runner, action="close", version=last_week.version
    )
    write(f"Seeded operational reviews: {last_week.date} (closed) and {this_week.date}.")
