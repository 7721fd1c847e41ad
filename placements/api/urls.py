from rest_framework.routers import DefaultRouter

from placements.api.views import PlacementRequestViewSet

router = DefaultRouter()
router.register("placement-requests", PlacementRequestViewSet, basename="placement-request")

urlpatterns = router.urls
