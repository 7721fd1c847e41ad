from django.urls import path

from spink.accounts import views

app_name = "saved_filters"

urlpatterns = [
    path("", views.saved_filter_save, name="save"),
    path("<int:pk>/default/", views.saved_filter_default, name="default"),
    path("<int:pk>/delete/", views.saved_filter_delete, name="delete"),
]
