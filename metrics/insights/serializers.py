"""The insights in the API: the selectors' dataclasses as documented JSON (read-only)."""

from rest_framework import serializers

S = serializers


class FiltersQuerySerializer(S.Serializer):
    """The query parameters of every insights endpoint (the pages' filters)."""

    quarter = S.RegexField(
        r"^\d{4}-Q[1-4]$", required=False, help_text="e.g. 2026-Q3; default: the current quarter."
    )
    portfolio = S.SlugField(required=False, help_text="A portfolio's slug.")
    team = S.SlugField(required=False, help_text="A team's slug.")


class SpreadSerializer(S.Serializer):
    count = S.IntegerField()
    median_days = S.FloatField(allow_null=True)
    p90_days = S.FloatField(allow_null=True)


class LaunchQuarterSerializer(S.Serializer):
    quarter = S.CharField()
    decision = SpreadSerializer(help_text="First submission → approval.")
    draft_to_launch = SpreadSerializer(help_text="Creation → launch.")
    sign_offs = S.IntegerField()
    changes_requested = S.IntegerField()
    changes_requested_share = S.FloatField(allow_null=True)
    late_launches = S.IntegerField()


class WaitSerializer(S.Serializer):
    key = S.CharField(help_text="The area, or the reviewer's username.")
    name = S.CharField(source="label", help_text="The area or the reviewer as people read it.")
    wait = SpreadSerializer(help_text="Latest submission → sign-off.")
    changes_requested = S.IntegerField()


class ReworkedItemSerializer(S.Serializer):
    question = S.CharField()
    area = S.CharField()
    area_label = S.CharField()
    reviews = S.IntegerField()


class OverdueSignOffSerializer(S.Serializer):
    review_id = S.IntegerField()
    review = S.CharField()
    review_url = S.CharField()
    program = S.CharField()
    area = S.CharField()
    area_label = S.CharField()
    waiting_days = S.IntegerField()
    holders = S.ListField(child=S.CharField(), help_text="The reviewers of the area.")


class LateLaunchSerializer(S.Serializer):
    review_id = S.IntegerField()
    review = S.CharField()
    review_url = S.CharField()
    program = S.CharField()
    first_date = S.DateField()
    launched_on = S.DateField()
    days_late = S.IntegerField()


class LaunchReviewInsightsSerializer(S.Serializer):
    quarter = S.CharField()
    decision = SpreadSerializer(help_text="First submission → approval, approved this quarter.")
    draft_to_launch = SpreadSerializer(help_text="Creation → launch, launched this quarter.")
    sign_offs = S.IntegerField()
    changes_requested = S.IntegerField()
    changes_requested_share = S.FloatField(allow_null=True)
    sign_off_due_days = S.IntegerField()
    wait_by_area = WaitSerializer(many=True)
    wait_by_reviewer = WaitSerializer(many=True)
    reworked_items = ReworkedItemSerializer(many=True)
    overdue_sign_offs = OverdueSignOffSerializer(many=True)
    late_launches = LateLaunchSerializer(many=True)
    trend = LaunchQuarterSerializer(many=True, help_text="The quarter and the three before it.")


class OutcomesSerializer(S.Serializer):
    approved = S.IntegerField()
    cut = S.IntegerField()
    denied = S.IntegerField()
    approved_share = S.FloatField(allow_null=True)
    cut_share = S.FloatField(allow_null=True)
    denied_share = S.FloatField(allow_null=True)


class CapacityQuarterSerializer(S.Serializer):
    quarter = S.CharField()
    submitted_to_decided = SpreadSerializer()
    decided_to_fulfilled = SpreadSerializer()
    submitted_to_fulfilled = SpreadSerializer()
    outcomes = OutcomesSerializer()
    overrides = S.IntegerField()


class OverrideSerializer(S.Serializer):
    request_id = S.IntegerField()
    request_url = S.CharField()
    team = S.CharField()
    program = S.CharField()
    resource_kind = S.CharField()
    resource_label = S.CharField()
    unit = S.CharField()
    amount = S.DecimalField(max_digits=16, decimal_places=2)
    approved_amount = S.DecimalField(max_digits=16, decimal_places=2)
    budget = S.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    granted = S.DecimalField(max_digits=16, decimal_places=2)
    over_by = S.DecimalField(max_digits=16, decimal_places=2)
    decided_by = S.CharField(allow_blank=True)
    decided_on = S.DateField()
    reason = S.CharField()


class BudgetUseSerializer(S.Serializer):
    team = S.CharField()
    resource_kind = S.CharField()
    resource_label = S.CharField()
    unit = S.CharField()
    budget = S.DecimalField(max_digits=16, decimal_places=2)
    granted = S.DecimalField(max_digits=16, decimal_places=2)
    used_share = S.FloatField(allow_null=True)


class WaitingRequestSerializer(S.Serializer):
    request_id = S.IntegerField()
    request_url = S.CharField()
    team = S.CharField()
    program = S.CharField()
    resource_label = S.CharField()
    unit = S.CharField()
    amount = S.DecimalField(max_digits=16, decimal_places=2)
    submitted_on = S.DateField()
    days_waiting = S.IntegerField()


class CapacityInsightsSerializer(S.Serializer):
    quarter = S.CharField()
    submitted_to_decided = SpreadSerializer()
    decided_to_fulfilled = SpreadSerializer()
    submitted_to_fulfilled = SpreadSerializer()
    outcomes = OutcomesSerializer()
    waiting_threshold_days = S.IntegerField()
    overrides = OverrideSerializer(many=True)
    budget_use = BudgetUseSerializer(many=True)
    waiting = WaitingRequestSerializer(many=True)
    trend = CapacityQuarterSerializer(many=True, help_text="The quarter and the three before it.")


class OpsQuarterSerializer(S.Serializer):
    quarter = S.CharField()
    opened = S.IntegerField()
    closed = S.IntegerField()
    time_to_close = SpreadSerializer(help_text="Agreed → closed, items closed in the quarter.")
    carried_mean = S.FloatField(
        allow_null=True, help_text="Reviews carried over to, mean of the items closed."
    )
    reviews = S.IntegerField(help_text="Reviews held.")
    decisions = S.IntegerField()
    decisions_per_review = S.FloatField(allow_null=True)


class CarriedCountSerializer(S.Serializer):
    times = S.IntegerField(help_text="The last bucket counts this many or more.")
    name = S.CharField(source="label", help_text="The bucket as people read it.")
    closed = S.IntegerField(help_text="Items closed in the quarter.")
    open_now = S.IntegerField(help_text="Items open today, carried so far.")


class OverdueItemSerializer(S.Serializer):
    item_id = S.IntegerField()
    title = S.CharField()
    review = S.CharField(help_text="The review that agreed it.")
    review_url = S.CharField()
    program = S.CharField(allow_blank=True)
    owner = S.CharField()
    due_date = S.DateField()
    days_overdue = S.IntegerField()
    times_carried = S.IntegerField()


class ReviewHeldSerializer(S.Serializer):
    review_id = S.IntegerField()
    review = S.CharField()
    review_url = S.CharField()
    date = S.DateField()
    portfolio = S.CharField(allow_blank=True, help_text="Empty for a review of every program.")
    decisions = S.IntegerField()
    items_agreed = S.IntegerField()
    items_closed = S.IntegerField()


class OpsReviewInsightsSerializer(S.Serializer):
    quarter = S.CharField()
    opened = S.IntegerField()
    closed = S.IntegerField()
    time_to_close = SpreadSerializer()
    carried_mean = S.FloatField(allow_null=True)
    open_now = S.IntegerField()
    overdue_now = S.IntegerField()
    overdue_share = S.FloatField(allow_null=True)
    reviews = S.IntegerField()
    decisions = S.IntegerField()
    decisions_per_review = S.FloatField(allow_null=True)
    carried = CarriedCountSerializer(many=True)
    overdue = OverdueItemSerializer(many=True)
    reviews_held = ReviewHeldSerializer(many=True)
    trend = OpsQuarterSerializer(many=True, help_text="The quarter and the three before it.")


class HorizonErrorSerializer(S.Serializer):
    horizon_days = S.IntegerField()
    snapshot_day = S.DateField(help_text="The health snapshot read for that moment.")
    target_date = S.DateField(help_text="The TPM's target that day.")
    forecast_date = S.DateField(help_text="Pulse's forecast that day.")
    plan_error_days = S.IntegerField(help_text="Target − actual (negative: finished later).")
    forecast_error_days = S.IntegerField(help_text="Forecast − actual.")


class MilestoneAccuracySerializer(S.Serializer):
    milestone_id = S.IntegerField()
    milestone = S.CharField()
    milestone_url = S.CharField()
    program = S.CharField()
    completed_on = S.DateField()
    forecasts = HorizonErrorSerializer(
        source="errors", many=True, help_text="The horizons it was forecast at."
    )


class HorizonAccuracySerializer(S.Serializer):
    horizon_days = S.IntegerField()
    milestones = S.IntegerField()
    forecast_mae = S.FloatField(allow_null=True, help_text="Mean absolute error, days.")
    plan_mae = S.FloatField(allow_null=True)
    forecast_bias = S.FloatField(allow_null=True, help_text="Mean signed error, days.")
    plan_bias = S.FloatField(allow_null=True)
    forecast_closer = S.IntegerField()
    plan_closer = S.IntegerField()
    beats_plan = S.BooleanField(allow_null=True)


class ForecastQuarterSerializer(S.Serializer):
    quarter = S.CharField()
    finished = S.IntegerField(help_text="Critical milestones finished.")
    covered = S.IntegerField(help_text="Of those, forecast at a horizon at least.")
    horizons = HorizonAccuracySerializer(many=True)


class TuningRunSerializer(S.Serializer):
    ran_on = S.DateField()
    samples = S.IntegerField(help_text="Forecasts of finished critical milestones measured.")
    previous_factor = S.FloatField()
    slip_factor = S.FloatField(help_text="The factor chosen (in force if the latest).")
    error_before = S.FloatField(allow_null=True, help_text="Mean absolute error, days.")
    error_after = S.FloatField(allow_null=True)
    plan_error = S.FloatField(allow_null=True, help_text="Of the targets, days.")
    beat_plan = S.BooleanField(allow_null=True, help_text="Whether the forecast beat them.")


class ForecastAccuracyInsightsSerializer(S.Serializer):
    quarter = S.CharField()
    horizons_days = S.ListField(child=S.IntegerField())
    snapshot_slack_days = S.IntegerField(
        help_text="A horizon reads the latest snapshot within this many days before it."
    )
    finished = S.IntegerField()
    covered = S.IntegerField()
    horizons = HorizonAccuracySerializer(many=True)
    milestones = MilestoneAccuracySerializer(many=True)
    trend = ForecastQuarterSerializer(many=True, help_text="The quarter and the three before it.")
    slip_factor = S.FloatField(help_text="How much of its slip rate a forecast carries forward.")
    tunings = TuningRunSerializer(
        many=True, help_text="The latest weekly tunings of the forecast, newest first."
    )


class SlipsSerializer(S.Serializer):
    moves = S.IntegerField(help_text="Date moves, earlier ones included.")
    slips = S.IntegerField(help_text="Moves to a later date.")
    days = S.IntegerField(help_text="Days the slips added.")
    days_per_slip = S.FloatField(allow_null=True)


class DeliveryQuarterSerializer(S.Serializer):
    quarter = S.CharField()
    slips = SlipsSerializer()


class TeamSlipsSerializer(S.Serializer):
    team = S.CharField(help_text="The milestones' owning team.")
    slips = SlipsSerializer(help_text="In the chosen quarter.")
    by_quarter = S.ListField(child=S.IntegerField(), help_text="Slips per trend quarter.")


class ReasonCountSerializer(S.Serializer):
    category = S.CharField()
    name = S.CharField(source="label", help_text="The category as people read it.")
    slips = SlipsSerializer()
    moves_share = S.FloatField(allow_null=True)


class TeamWaitSerializer(S.Serializer):
    waiting_team = S.CharField()
    upstream_team = S.CharField()
    dependencies = S.IntegerField()
    days = S.IntegerField(help_text="Days of waiting on late upstream milestones, this quarter.")


class DeliveryInsightsSerializer(S.Serializer):
    quarter = S.CharField()
    slips = SlipsSerializer()
    teams = TeamSlipsSerializer(many=True)
    reasons = ReasonCountSerializer(many=True)
    waits = TeamWaitSerializer(many=True)
    trend = DeliveryQuarterSerializer(many=True, help_text="The quarter and the three before it.")
