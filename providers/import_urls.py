from django.urls import path

from providers import views_import

app_name = "provider_import"

urlpatterns = [
    path("", views_import.upload, name="upload"),
    path("confirm/", views_import.confirm, name="confirm"),
]
