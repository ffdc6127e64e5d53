"""The ``analytics`` schema: stable, documented read-only views for analysts (PostgreSQL only).

``views.sql`` defines them; ``install`` puts them in place. docs/analytics.md is the data
dictionary, and ``manage.py create_analytics_role`` makes the login role that reads them.
"""
