"""Words the demo seed composes realistic infrastructure programs from.

Kept apart from the generator so the lists can grow without touching its logic. Every list is
ordered, and the generator draws from it with a seeded ``random.Random``: same seed, same data.
"""

PORTFOLIOS = [
    ("Core Infrastructure", "Compute, storage and the fleet every service runs on."),
    ("Data Platform", "Databases, streaming and the pipelines analytics depend on."),
    ("Security & Compliance", "Identity, secrets, segmentation and the audits we must pass."),
    ("Developer Productivity", "Build, CI, deploy tooling and the paved road."),
    ("Network", "Backbone, edge, load balancing and the regions we run in."),
]

TEAMS = [
    "Compute Fleet", "Kernel & OS", "Storage", "Databases", "Streaming", "Data Pipelines",
    "Identity", "Security Engineering", "Compliance", "Build & CI", "Deploy Tooling",
    "Observability", "Network Edge", "Backbone", "Traffic", "SRE Core",
]  # fmt: skip

# Which teams usually work on a portfolio's programs (indexes into TEAMS).
PORTFOLIO_TEAMS = {
    "Core Infrastructure": [0, 1, 2, 15, 12],
    "Data Platform": [3, 4, 5, 2, 11],
    "Security & Compliance": [6, 7, 8, 1, 13],
    "Developer Productivity": [9, 10, 11, 15],
    "Network": [12, 13, 14, 15, 7],
}

REGIONS = [
    "eu-west-3", "us-east-2", "ap-south-1", "eu-central-2", "us-west-1", "ap-northeast-3",
    "sa-east-1", "ca-central-1", "me-central-1", "af-south-1", "eu-north-1", "ap-southeast-4",
]  # fmt: skip

# (portfolio, initiative). "{region}" is filled in; the first N programs use these verbatim.
INITIATIVES = [
    ("Core Infrastructure", "Fleet kernel upgrade to 6.12"),
    ("Core Infrastructure", "Region build {region}"),
    ("Security & Compliance", "PCI network segmentation"),
    ("Data Platform", "Kafka to managed queue migration"),
    ("Security & Compliance", "TLS 1.3 everywhere"),
    ("Data Platform", "Postgres 17 upgrade"),
    ("Network", "IPv6 dual stack"),
    ("Network", "CDN edge expansion"),
    ("Security & Compliance", "Secrets rotation"),
    ("Developer Productivity", "Observability pipeline rebuild"),
    ("Core Infrastructure", "ARM64 fleet migration"),
    ("Core Infrastructure", "Object storage tiering"),
    ("Data Platform", "Redis 8 upgrade"),
    ("Data Platform", "Cross-region database replication"),
    ("Network", "Load balancer replacement"),
    ("Network", "Backbone capacity upgrade to 400G"),
    ("Security & Compliance", "SSO for every internal tool"),
    ("Security & Compliance", "SOC 2 Type II evidence automation"),
    ("Developer Productivity", "Hermetic builds with remote execution"),
    ("Developer Productivity", "Progressive delivery for every service"),
    ("Core Infrastructure", "Kubernetes 1.33 upgrade"),
    ("Core Infrastructure", "Bare-metal provisioning rewrite"),
    ("Data Platform", "Data lake compaction service"),
    ("Data Platform", "Change data capture platform"),
    ("Network", "DNS resolver consolidation"),
    ("Network", "Service mesh mTLS rollout"),
    ("Security & Compliance", "Hardware security module refresh"),
    ("Security & Compliance", "Workload identity federation"),
    ("Developer Productivity", "Monorepo CI time under 10 minutes"),
    ("Developer Productivity", "Paved-road service template v2"),
    ("Core Infrastructure", "Datacenter exit {region}"),
    ("Data Platform", "Elasticsearch to OpenSearch migration"),
    ("Network", "Anycast ingress in {region}"),
    ("Security & Compliance", "Endpoint detection on the server fleet"),
    ("Developer Productivity", "Flaky test quarantine"),
    ("Core Infrastructure", "Power capping for GPU racks"),
    ("Data Platform", "Backup restore drills automation"),
    ("Network", "Edge WAF rules migration"),
    ("Security & Compliance", "Least-privilege IAM cleanup"),
    ("Developer Productivity", "Artifact registry consolidation"),
    ("Core Infrastructure", "Cell-based architecture for the control plane"),
    ("Data Platform", "Metrics storage on columnar engine"),
    ("Network", "Private connectivity to cloud providers"),
    ("Security & Compliance", "FedRAMP moderate boundary"),
    ("Developer Productivity", "Ephemeral preview environments"),
]

# Scopes that make a composed name specific: a region, a tier of the fleet, a business line.
SCOPES = REGIONS + [
    "payments fleet", "search tier", "batch clusters", "edge PoPs", "GPU fleet",
    "control plane", "ads serving", "checkout", "identity tier", "logging tier",
    "internal tools", "mobile backend", "EU data residency", "storage nodes",
    "build farm", "media pipeline", "billing", "customer API",
]  # fmt: skip

CODENAMES = [
    "Nightjar", "Kestrel", "Osprey", "Heron", "Merlin", "Plover", "Shrike", "Avocet",
    "Bittern", "Curlew", "Dunlin", "Egret", "Fulmar", "Gannet", "Hobby", "Ibis",
]  # fmt: skip

# A program's plan: milestones drawn in this order, so dates and names read as a real plan.
MILESTONES = [
    "Design doc approved",
    "Capacity plan signed off",
    "Vendor contract signed",
    "Tooling and automation ready",
    "Staging environment live",
    "Security review passed",
    "Load test at 2x peak",
    "Runbooks and alerts in place",
    "Dual-write enabled",
    "Canary in first region",
    "Rollback drill completed",
    "10% of fleet",
    "Launch review approved",
    "50% of fleet",
    "Data migration complete",
    "Cutover",
    "100% of fleet",
    "Compliance evidence filed",
    "Old stack read-only",
    "Decommission old stack",
    "Cost review and close-out",
]

SLIP_REASONS = [
    "Vendor hardware delivery slipped three weeks.",
    "Security review found issues in the certificate handling; fixes first.",
    "Load test showed p99 regression at 2x peak; tuning before we proceed.",
    "Change freeze for the holiday peak.",
    "Dependency on the network team's backbone upgrade, which moved.",
    "Two engineers reassigned to an incident follow-up for a sprint.",
    "Canary surfaced a kernel panic on one hardware generation.",
    "Capacity council asked for a revised plan before approving the headroom.",
    "Data migration is slower than estimated (about 40% of projected throughput).",
    "Compliance asked for additional evidence on access reviews.",
    "Upstream release was delayed; waiting for the patched version.",
    "Scope grew: two more services must move before cutover.",
    "Pulled in: automation landed early and the canary was clean.",
]

RISKS = [
    ("Hardware lead times", "Supply constraints may delay racks beyond the build window."),
    ("Single engineer knows the legacy stack", "Bus factor of one on the component we retire."),
    ("Rollback path untested at scale", "We have only exercised rollback in staging."),
    ("Capacity headroom below 20%", "Peak traffic could exhaust the remaining headroom."),
    ("Vendor API deprecation", "The vendor retires the API we depend on next quarter."),
    ("Data loss during cutover", "Dual-write gaps could drop events during the switch."),
    ("Certificate expiry during migration", "Old and new PKI overlap only for 30 days."),
    ("Audit finding on access reviews", "Missing evidence could fail the next audit."),
    ("Dependency on another program's milestone", "Our launch needs their platform GA."),
    ("Latency regression for EU users", "The new path adds a hop for EU traffic."),
    ("On-call fatigue", "The rollout overlaps the busiest on-call rotation of the year."),
    ("Cost overrun", "Dual running costs more than budgeted if the cutover slips."),
]

MITIGATIONS = [
    "Second vendor qualified; order split 60/40.",
    "Pairing sessions and a recorded walkthrough; runbook owned by two people.",
    "Rollback drill scheduled on 5% of production before the next phase.",
    "Capacity request filed with the council; shed batch load at peak.",
    "Wrapper in place so we can switch implementations behind a flag.",
    "Reconciliation job compares both sides hourly; alert on any drift.",
    "Overlap extended to 90 days; expiry alerts at 30/14/7 days.",
    "Evidence collection automated; weekly review with compliance.",
    "",
]

DECISIONS = [
    (
        "Roll out region by region, not service by service",
        "Limits blast radius; each region is a rollback unit.",
    ),
    ("Keep the old stack read-only for 30 days", "Gives a fallback for reads while we validate."),
    (
        "Buy, not build, the scheduling component",
        "Vendor meets the requirements; saves two quarters.",
    ),
    ("Freeze scope for the first launch", "New asks go to phase two."),
    (
        "Accept the latency regression for EU users",
        "Under the SLO budget; revisit after the edge expansion.",
    ),
    ("Canary at 1% for a full week", "Weekly traffic patterns caught the last two regressions."),
    ("Deprecate the legacy client library", "Two supported clients cost more than the migration."),
]

UPDATE_SUMMARIES = {
    "on_track": [
        "On track. Rollout progressing per plan; no new blockers this week.",
        "Milestone work on schedule; canary metrics clean.",
        "Good week: automation merged and the next phase starts Monday.",
    ],
    "at_risk": [
        "At risk: the next milestone depends on a vendor delivery that is late.",
        "At risk: load test uncovered a regression; we are tuning before proceeding.",
        "At risk: staffing gap while two engineers support an incident follow-up.",
    ],
    "off_track": [
        "Off track: critical milestone missed; recovery plan below.",
        "Off track: blocked on security review findings; dates will move.",
    ],
}

HIGHLIGHTS = [
    "- Canary healthy for 7 days\n- Runbook reviewed by SRE",
    "- 30% of hosts migrated\n- Dashboards published",
    "- Design doc approved\n- Capacity request filed",
    "- Rollback drill passed in staging",
]

ASKS = [
    "",
    "",
    "Decision needed on accepting the EU latency regression.",
    "Help unblocking the capacity request with the council.",
    "Priority call: this program or the Q3 cost work for the Storage team.",
]

FIRST_NAMES = [
    "Ada", "Bea", "Carlos", "Dana", "Emeka", "Fatima", "Gus", "Hana", "Ines", "Jonas",
    "Kiran", "Lena", "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sanjay", "Tess",
    "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zoe", "Arjun", "Bruno", "Chloe", "Dmitri",
]  # fmt: skip

LAST_NAMES = [
    "Okafor", "Lindqvist", "Moreau", "Tanaka", "Novak", "Haddad", "Kowalski", "Silva",
    "Nguyen", "Schmidt", "Rossi", "Patel", "Garcia", "Ivanova", "Mensah", "O'Brien",
    "Fischer", "Kim", "Yilmaz", "Costa", "Dubois", "Larsen", "Mwangi", "Sato",
]  # fmt: skip
