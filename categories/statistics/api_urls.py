from django.urls import path

from categories.statistics import api

urlpatterns = [
    path("statistics/requests/", api.RequestStatisticsView.as_view(), name="statistics-requests"),
    path(
        "statistics/requests/monthly/",
        api.MonthlyStatisticsView.as_view(),
        name="statistics-monthly",
    ),
    path(
        "statistics/requests/administrations/",
        api.AdministrationStatisticsView.as_view(),
        name="statistics-administrations",
    ),
    path("statistics/followup/", api.FollowupStatisticsView.as_view(), name="statistics-followup"),
]
