-- Pulse's analytics schema: read-only views for analysts (docs/analytics.md is the dictionary).
--
-- The views are the contract, not the tables under them: rename a column here only with a note
-- in docs/analytics.md. metrics.analytics.install drops every view of the schema and runs this
-- file whenever it differs from what is installed (after each `manage.py migrate`), so a change
-- to the tables underneath is followed by a change here, never by a stale view.
--
-- @TIME_ZONE@ is replaced by settings.TIME_ZONE (quoted): a timestamp's local day and quarter
-- are the ones Pulse's pages show. People appear by username only (no e-mail, no name, no
-- password hash, no token). Every row of a program's data says whether the program is
-- confidential: the views do not hide those rows (the analytics role is for approved analysts).

CREATE VIEW analytics.programs AS
SELECT
    p.id AS program_id,
    p.slug,
    p.name,
    pf.id AS portfolio_id,
    pf.slug AS portfolio_slug,
    pf.name AS portfolio_name,
    tpm.username AS tpm,
    sponsor.username AS sponsor,
    p.phase,
    p.priority,
    'P' || p.priority AS priority_label,
    p.start_date,
    p.target_date,
    p.confidential,
    p.update_cadence_days,
    NULLIF(p.health_grade, '') AS health_grade,
    p.health_score,
    p.health_watermelon,
    p.health_stale,
    NULLIF(p.health_cause, '') AS health_cause,
    p.health_computed_at,
    p.last_update_at,
    p.created_at,
    (p.created_at AT TIME ZONE @TIME_ZONE@)::date AS created_on
FROM programs_program p
JOIN programs_portfolio pf ON pf.id = p.portfolio_id
JOIN auth_user tpm ON tpm.id = p.tpm_id
LEFT JOIN auth_user sponsor ON sponsor.id = p.sponsor_id;

CREATE VIEW analytics.teams AS
SELECT
    t.id AS team_id,
    t.slug,
    t.name,
    (SELECT count(*) FROM programs_team_members m WHERE m.team_id = t.id) AS member_count
FROM programs_team t;

CREATE VIEW analytics.program_teams AS
SELECT
    pt.program_id,
    pt.team_id,
    t.slug AS team_slug,
    p.confidential
FROM programs_program_teams pt
JOIN programs_team t ON t.id = pt.team_id
JOIN programs_program p ON p.id = pt.program_id;

CREATE VIEW analytics.milestones AS
SELECT
    m.id AS milestone_id,
    m.program_id,
    m.name,
    m.owner_team_id,
    t.slug AS owner_team_slug,
    m.state,
    m.critical,
    m.baseline_date,
    m.target_date,
    m.completed_date,
    m.target_date - m.baseline_date AS slip_days,
    m.times_moved,
    m.created_at,
    p.confidential
FROM programs_milestone m
JOIN programs_program p ON p.id = m.program_id
LEFT JOIN programs_team t ON t.id = m.owner_team_id;

CREATE VIEW analytics.milestone_dependencies AS
SELECT
    d.from_milestone_id AS milestone_id,
    d.to_milestone_id AS depends_on_milestone_id,
    downstream.program_id,
    upstream.program_id AS depends_on_program_id,
    downstream.owner_team_id,
    upstream.owner_team_id AS depends_on_owner_team_id,
    dp.confidential OR up.confidential AS confidential
FROM programs_milestone_depends_on d
JOIN programs_milestone downstream ON downstream.id = d.from_milestone_id
JOIN programs_milestone upstream ON upstream.id = d.to_milestone_id
JOIN programs_program dp ON dp.id = downstream.program_id
JOIN programs_program up ON up.id = upstream.program_id;

CREATE VIEW analytics.milestone_moves AS
SELECT
    c.id AS move_id,
    c.milestone_id,
    m.program_id,
    m.owner_team_id,
    t.slug AS owner_team_slug,
    u.username AS changed_by,
    c.changed_at,
    (c.changed_at AT TIME ZONE @TIME_ZONE@)::date AS changed_on,
    to_char(c.changed_at AT TIME ZONE @TIME_ZONE@, 'YYYY-"Q"Q') AS changed_quarter,
    c.from_date,
    c.to_date,
    c.to_date - c.from_date AS delta_days,
    c.to_date > c.from_date AS is_slip,
    c.category,
    c.reason,
    p.confidential
FROM programs_milestonedatechange c
JOIN programs_milestone m ON m.id = c.milestone_id
JOIN programs_program p ON p.id = m.program_id
LEFT JOIN programs_team t ON t.id = m.owner_team_id
LEFT JOIN auth_user u ON u.id = c.changed_by_id;

CREATE VIEW analytics.status_updates AS
SELECT
    s.id AS update_id,
    s.program_id,
    u.username AS author,
    s.created_at,
    (s.created_at AT TIME ZONE @TIME_ZONE@)::date AS created_on,
    s.reported_health,
    s.summary,
    s.highlights,
    s.risks_and_blockers,
    s.asks,
    s.next_steps,
    p.confidential
FROM programs_statusupdate s
JOIN programs_program p ON p.id = s.program_id
JOIN auth_user u ON u.id = s.author_id;

CREATE VIEW analytics.health_snapshots AS
SELECT
    h.id AS snapshot_id,
    h.program_id,
    h.day,
    h.score,
    h.grade,
    h.watermelon,
    h.stale,
    NULLIF(h.reported_health, '') AS reported_health,
    (h.components ->> 'schedule')::integer AS schedule_points,
    (h.components ->> 'launch_readiness')::integer AS launch_readiness_points,
    (h.components ->> 'dependencies')::integer AS dependencies_points,
    (h.components ->> 'risk')::integer AS risk_points,
    (h.components ->> 'freshness')::integer AS freshness_points,
    (h.components ->> 'outcomes')::integer AS outcomes_points,
    jsonb_array_length(h.reasons) AS reason_count,
    (h.forecast ->> 'milestone_id')::bigint AS forecast_milestone_id,
    (h.forecast ->> 'target_date')::date AS forecast_target_date,
    (h.forecast ->> 'forecast_date')::date AS forecast_date,
    (h.forecast ->> 'days_late')::integer AS forecast_days_late,
    (h.forecast ->> 'slip_rate')::double precision AS forecast_slip_rate,
    h.computed_at,
    p.confidential
FROM metrics_healthsnapshot h
JOIN programs_program p ON p.id = h.program_id;

CREATE VIEW analytics.health_reasons AS
SELECT
    h.id AS snapshot_id,
    h.program_id,
    h.day,
    r.position::integer AS position,
    r.reason ->> 'family' AS family,
    r.reason ->> 'severity' AS severity,
    r.reason ->> 'code' AS code,
    (r.reason ->> 'subject_id')::bigint AS subject_id,
    NULLIF(r.reason ->> 'subject', '') AS subject,
    (r.reason ->> 'cost')::numeric AS cost,
    r.reason -> 'figures' AS figures,
    p.confidential
FROM metrics_healthsnapshot h
JOIN programs_program p ON p.id = h.program_id
CROSS JOIN LATERAL jsonb_array_elements(h.reasons) WITH ORDINALITY AS r(reason, position);

CREATE VIEW analytics.launch_reviews AS
SELECT
    r.id AS review_id,
    r.program_id,
    r.milestone_id,
    r.title,
    r.tier,
    r.state,
    author.username AS author,
    r.launch_date,
    COALESCE(
        (
            SELECT h.launch_date
            FROM reviews_historicallaunchreview h
            WHERE h.id = r.id
            ORDER BY h.history_date, h.history_id
            LIMIT 1
        ),
        r.launch_date
    ) AS first_launch_date,
    r.created_at,
    r.submitted_at,
    r.decided_at,
    r.launched_at,
    (r.launched_at AT TIME ZONE @TIME_ZONE@)::date AS launched_on,
    round((extract(epoch FROM r.decided_at - r.submitted_at) / 86400)::numeric, 2)
        AS submitted_to_decided_days,
    round((extract(epoch FROM r.launched_at - r.created_at) / 86400)::numeric, 2)
        AS draft_to_launch_days,
    tpl.name AS checklist_template,
    tpl.version AS checklist_template_version,
    p.confidential
FROM reviews_launchreview r
JOIN programs_program p ON p.id = r.program_id
JOIN auth_user author ON author.id = r.author_id
JOIN reviews_checklisttemplate tpl ON tpl.id = r.template_id;

CREATE VIEW analytics.launch_review_sign_offs AS
SELECT
    s.id AS sign_off_id,
    s.review_id,
    r.program_id,
    s.area,
    u.username AS reviewer,
    s.decision,
    s.comment,
    s.superseded,
    s.created_at,
    p.confidential
FROM reviews_signoff s
JOIN reviews_launchreview r ON r.id = s.review_id
JOIN programs_program p ON p.id = r.program_id
JOIN auth_user u ON u.id = s.reviewer_id;

CREATE VIEW analytics.launch_review_items AS
SELECT
    i.id AS item_id,
    i.review_id,
    r.program_id,
    i.area,
    i."order" AS position,
    i.question,
    i.required,
    i.status,
    NULLIF(i.not_applicable_reason, '') AS not_applicable_reason,
    i.notes,
    u.username AS answered_by,
    i.answered_at,
    p.confidential
FROM reviews_launchreviewitem i
JOIN reviews_launchreview r ON r.id = i.review_id
JOIN programs_program p ON p.id = r.program_id
LEFT JOIN auth_user u ON u.id = i.answered_by_id;

CREATE VIEW analytics.capacity_requests AS
SELECT
    c.id AS request_id,
    c.program_id,
    c.team_id,
    t.slug AS team_slug,
    requester.username AS requester,
    c.resource_kind,
    c.amount,
    c.approved_amount,
    c.environment,
    c.region,
    c.needed_by,
    c.quarter,
    c.state,
    c.auto_approved,
    c.override_reason <> '' AS overridden,
    NULLIF(c.override_reason, '') AS override_reason,
    NULLIF(c.decision_note, '') AS decision_note,
    c.justification,
    decider.username AS decided_by,
    c.created_at,
    c.submitted_at,
    c.decided_at,
    c.fulfilled_at,
    round((extract(epoch FROM c.decided_at - c.submitted_at) / 86400)::numeric, 2)
        AS submitted_to_decided_days,
    round((extract(epoch FROM c.fulfilled_at - c.decided_at) / 86400)::numeric, 2)
        AS decided_to_fulfilled_days,
    p.confidential
FROM reviews_capacityrequest c
JOIN programs_program p ON p.id = c.program_id
JOIN programs_team t ON t.id = c.team_id
JOIN auth_user requester ON requester.id = c.requester_id
LEFT JOIN auth_user decider ON decider.id = c.decided_by_id;

CREATE VIEW analytics.capacity_budgets AS
SELECT
    b.id AS budget_id,
    b.team_id,
    t.slug AS team_slug,
    b.quarter,
    b.resource_kind,
    b.amount
FROM reviews_capacitybudget b
JOIN programs_team t ON t.id = b.team_id;

CREATE VIEW analytics.operational_reviews AS
SELECT
    o.id AS review_id,
    o.date,
    to_char(o.date, 'YYYY-"Q"Q') AS quarter,
    o.title,
    o.portfolio_id,
    pf.slug AS portfolio_slug,
    o.state,
    facilitator.username AS facilitator,
    o.started_at,
    o.closed_at,
    (
        SELECT count(*) FROM reviews_operationalreview_decisions d
        WHERE d.operationalreview_id = o.id
    ) AS decisions_recorded,
    (SELECT count(*) FROM reviews_actionitem a WHERE a.created_in_id = o.id)
        AS action_items_opened,
    (SELECT count(*) FROM reviews_actionitem a WHERE a.closed_in_id = o.id)
        AS action_items_closed
FROM reviews_operationalreview o
LEFT JOIN programs_portfolio pf ON pf.id = o.portfolio_id
LEFT JOIN auth_user facilitator ON facilitator.id = o.facilitator_id;

CREATE VIEW analytics.action_items AS
SELECT
    a.id AS action_item_id,
    a.title,
    owner.username AS owner,
    a.due_date,
    a.program_id,
    a.state,
    a.created_in_id AS created_in_review_id,
    opened.date AS opened_on,
    a.closed_in_id AS closed_in_review_id,
    closer.username AS closed_by,
    a.closed_at,
    (a.closed_at AT TIME ZONE @TIME_ZONE@)::date AS closed_on,
    (a.closed_at AT TIME ZONE @TIME_ZONE@)::date - opened.date AS days_to_close,
    a.created_at,
    COALESCE(p.confidential, false) AS confidential
FROM reviews_actionitem a
JOIN reviews_operationalreview opened ON opened.id = a.created_in_id
JOIN auth_user owner ON owner.id = a.owner_id
LEFT JOIN auth_user closer ON closer.id = a.closed_by_id
LEFT JOIN programs_program p ON p.id = a.program_id;
