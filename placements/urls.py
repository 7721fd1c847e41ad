from django.urls import path

from placements import views

app_name = "placements"

urlpatterns = [
    path("<int:pk>/", views.request_detail, name="request-detail"),
]
