"""The shared query-count fixtures catch what they are for: a count that grows with the data."""

import pytest

from programs.models import Portfolio
from tests.factories import PortfolioFactory

pytestmark = pytest.mark.django_db


def one_query_per_portfolio():
    for portfolio in Portfolio.objects.all():
        portfolio.programs.count()


def test_a_read_whose_queries_grow_with_the_rows_fails(same_queries_at_two_sizes):
    PortfolioFactory()
    with pytest.raises(AssertionError, match="grew with the data"):
        same_queries_at_two_sizes(
            None, {"n+1": one_query_per_portfolio}, grow=lambda: PortfolioFactory.create_batch(3)
        )


def test_a_read_of_fixed_cost_passes_and_its_counts_are_returned(
    client, same_queries_at_two_sizes, count_queries
):
    counts = same_queries_at_two_sizes(
        client,
        {"liveness": "/healthz", "portfolios": lambda: list(Portfolio.objects.all())},
        grow=lambda: PortfolioFactory.create_batch(3),
    )
    assert counts == {"liveness": 0, "portfolios": 1}
    assert count_queries(client, "/healthz") == 0


def test_a_refused_page_is_not_counted_as_a_cheap_one(client, count_queries):
    with pytest.raises(AssertionError, match="302|403|404"):
        count_queries(client, "/programs/")
