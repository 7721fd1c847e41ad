from rest_framework.routers import DefaultRouter

from followup.api.monitoring import MonitoringRunViewSet, SignalViewSet
from followup.api.views import ControlViewSet, DeepControlViewSet, FeedbackViewSet, SiteVisitViewSet

router = DefaultRouter()
# Basic monitoring
router.register("signals", SignalViewSet, basename="signal")
router.register("monitoring-runs", MonitoringRunViewSet, basename="monitoring-run")

# Controls, feedback, deep controls and site visits
router.register("controls", ControlViewSet, basename="control")
router.register("feedback", FeedbackViewSet, basename="feedback")
router.register("deep-controls", DeepControlViewSet, basename="deep-control")
router.register("site-visits", SiteVisitViewSet, basename="site-visit")

urlpatterns = router.urls
