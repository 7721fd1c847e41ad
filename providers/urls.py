from django.urls import path

from providers import views

app_name = "providers"

urlpatterns = [
    path("", views.unit_list, name="unit-list"),
    path("units/<int:pk>/", views.unit_detail, name="unit-detail"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit-edit"),
    path("units/<int:pk>/status/", views.unit_status, name="unit-status"),
    path(
        "units/<int:pk>/recommendation-stop/",
        views.unit_recommendation_stop,
        name="unit-recommendation-stop",
    ),
    path("units/<int:pk>/order-stop/", views.unit_order_stop, name="unit-order-stop"),
    path("units/<int:pk>/services/", views.unit_offerings, name="unit-offerings"),
    path(
        "units/<int:pk>/services/<int:offering_pk>/remove/",
        views.unit_offering_remove,
        name="unit-offering-remove",
    ),
    path("units/<int:pk>/prices/", views.unit_prices, name="unit-prices"),
    path("units/<int:pk>/permits/", views.unit_permits, name="unit-permits"),
    path(
        "units/<int:pk>/permits/<int:permit_pk>/renew/",
        views.permit_renew,
        name="permit-renew",
    ),
    path(
        "units/<int:pk>/permits/<int:permit_pk>/revoke/",
        views.permit_revoke,
        name="permit-revoke",
    ),
    path("providers/", views.provider_list, name="provider-list"),
    path("providers/new/", views.provider_create, name="provider-create"),
    path("providers/<int:pk>/", views.provider_detail, name="provider-detail"),
    path("providers/<int:pk>/edit/", views.provider_edit, name="provider-edit"),
    path("providers/<int:pk>/units/new/", views.unit_create, name="unit-create"),
    path("agreements/", views.agreement_list, name="agreement-list"),
    path("agreements/new/", views.agreement_create, name="agreement-create"),
    path("agreements/<int:pk>/", views.agreement_detail, name="agreement-detail"),
    path("agreements/<int:pk>/edit/", views.agreement_edit, name="agreement-edit"),
    path("agreements/<int:pk>/admit/", views.agreement_admit, name="agreement-admit"),
]
