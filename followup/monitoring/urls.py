from django.urls import path

from followup.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("", views.signal_list, name="signal-list"),
    path("signals/<int:pk>/", views.signal_detail, name="signal-detail"),
    path("signals/<int:pk>/take/", views.signal_take, name="signal-take"),
    path("signals/<int:pk>/close/", views.signal_close, name="signal-close"),
    path("sources/", views.source_list, name="source-list"),
    path("sources/<int:pk>/run/", views.source_run, name="source-run"),
    path("runs/", views.run_list, name="run-list"),
    path("runs/<int:pk>/", views.run_detail, name="run-detail"),
]
