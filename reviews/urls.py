"""The launch-review and capacity pages, included at /reviews/ (namespace ``reviews``).

Operational reviews have their own namespace and path: ``reviews.ops.urls`` at /ops-reviews/.
"""

from reviews.capacity.urls import urlpatterns as capacity_urlpatterns
from reviews.launch.urls import urlpatterns as launch_urlpatterns

app_name = "reviews"
urlpatterns = [*launch_urlpatterns, *capacity_urlpatterns]
