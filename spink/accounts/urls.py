from django.urls import path

from spink.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.org_unit_list, name="org-unit-list"),
    path("units/<int:pk>/", views.org_unit_detail, name="org-unit-detail"),
]
