"""Program plans: each program's canonical plan, structured by a plan template, versioned,
and acknowledged by the teams taking part (issue 16). A Django app of its own (label
``plans``) inside ``programs``."""
