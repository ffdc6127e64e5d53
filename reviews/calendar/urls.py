"""Calendar feeds, included at /calendar/ (namespace ``calendar``)."""

from django.urls import path

from reviews.calendar import views

app_name = "calendar"
urlpatterns = [
    path("", views.feeds_page, name="feeds"),
    path("feed/<str:key>.ics", views.user_feed, name="user-feed"),
    path("feed/<str:key>/portfolios/<slug:slug>.ics", views.portfolio_feed, name="portfolio-feed"),
]
