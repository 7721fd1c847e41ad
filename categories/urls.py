from django.urls import path

from categories import views

app_name = "categories"

urlpatterns = [path("", views.service_list, name="service-list")]
