from django.urls import path

from metrics import views

app_name = "metrics"
urlpatterns = [
    path("<slug:slug>/metrics/new/", views.metric_create, name="metric-create"),
    path("<slug:slug>/metrics/<int:pk>/readings/new/", views.reading_create, name="reading-create"),
]
