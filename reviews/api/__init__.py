"""The reviews REST API: launch reviews, their items and sign-offs, capacity budgets and requests."""
