from django.urls import path
from rest_framework.routers import DefaultRouter

from reporting.api import statistics
from reporting.api.plans import CategoryPlanViewSet

router = DefaultRouter()
router.register("category-plans", CategoryPlanViewSet, basename="category-plan")

urlpatterns = [
    path(
        "statistics/requests/",
        statistics.RequestStatisticsView.as_view(),
        name="statistics-requests",
    ),
    path(
        "statistics/requests/monthly/",
        statistics.MonthlyStatisticsView.as_view(),
        name="statistics-monthly",
    ),
    path(
        "statistics/requests/administrations/",
        statistics.AdministrationStatisticsView.as_view(),
        name="statistics-administrations",
    ),
    path(
        "statistics/followup/",
        statistics.FollowupStatisticsView.as_view(),
        name="statistics-followup",
    ),
    *router.urls,
]
