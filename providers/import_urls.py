from django.urls import path  # noqa: F401

app_name = "provider_import"

urlpatterns: list = []
