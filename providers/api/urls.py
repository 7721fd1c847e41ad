from rest_framework.routers import DefaultRouter

from providers.api.views import AgreementViewSet, ProviderViewSet, UnitViewSet

router = DefaultRouter()
router.register("providers", ProviderViewSet, basename="provider")
router.register("units", UnitViewSet, basename="unit")
router.register("agreements", AgreementViewSet, basename="agreement")

urlpatterns = router.urls
