from django.urls import path

from reporting.plans import views

app_name = "category_plans"

urlpatterns = [
    path("", views.plan_list, name="plan-list"),
    path("new/", views.plan_create, name="plan-create"),
    path("<int:pk>/", views.plan_detail, name="plan-detail"),
    path("<int:pk>/edit/", views.plan_edit, name="plan-edit"),
    path("<int:pk>/compute/", views.compute, name="compute"),
    path("<int:plan_pk>/goals/new/", views.goal_create, name="goal-create"),
    path("<int:plan_pk>/decisions/new/", views.decision_create, name="decision-create"),
    path("goals/<int:pk>/edit/", views.goal_edit, name="goal-edit"),
    path("goals/<int:goal_pk>/strategies/new/", views.strategy_create, name="strategy-create"),
    path("strategies/<int:pk>/edit/", views.strategy_edit, name="strategy-edit"),
    path(
        "strategies/<int:strategy_pk>/activities/new/",
        views.activity_create,
        name="activity-create",
    ),
    path("strategies/<int:strategy_pk>/kpis/new/", views.kpi_create, name="kpi-create"),
    path("activities/<int:pk>/edit/", views.activity_edit, name="activity-edit"),
    path("activities/<int:pk>/status/", views.activity_status, name="activity-status"),
    path("kpis/<int:pk>/", views.kpi_detail, name="kpi-detail"),
    path("kpis/<int:pk>/edit/", views.kpi_edit, name="kpi-edit"),
]
