"""Import programs, milestones (with dependencies) and risks from CSV and XLSX, and milestones
from a Jira CSV export: read (``reading``), checked row by row against the database in a fixed
number of queries (``planning``), then written all or nothing through the programs services
(``services``). The page, the API (``POST /api/v1/imports/``) and ``manage.py import_programs``
share these three steps.
"""
