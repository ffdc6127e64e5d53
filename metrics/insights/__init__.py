"""Insights: Pulse measuring its own governance (issue 15).

Each section (launch reviews, capacity, …) is a selector that returns a dataclass of numbers,
a presenter that turns it into KPIs and chart-with-table blocks, and a serializer for the API;
``metrics.insights.sections`` registers them, and the pages, CSV downloads and
``/api/v1/insights/<section>/`` are generic over that registry.
"""
