"""The API's page size, in a module of its own.

``REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"]`` is imported while DRF defines its generic views;
a module that subclasses those views (``core.api``) cannot be that import without a cycle.
"""

from rest_framework import pagination


class Pagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
