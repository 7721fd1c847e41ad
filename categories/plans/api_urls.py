from rest_framework.routers import DefaultRouter

from categories.plans.api import CategoryPlanViewSet

router = DefaultRouter()
router.register("category-plans", CategoryPlanViewSet, basename="category-plan")

urlpatterns = router.urls
