from django.urls import path

from reporting.statistics import views

app_name = "statistics"

urlpatterns = [
    path("", views.yearly, name="yearly"),
    path("follow-up/", views.followup, name="followup"),
    path("export/<slug:table>.<str:fmt>", views.export, name="export"),
]
