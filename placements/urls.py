from django.urls import path

from placements import views, views_matching

app_name = "placements"

urlpatterns = [
    path("", views.request_list, name="request-list"),
    path("export.csv", views.request_list_export, name="request-list-export"),
    path("new/", views.request_create, name="request-create"),
    path("subcategories/", views.subcategory_options, name="subcategory-options"),
    path("search/", views.search, name="search"),
    path("queue/", views.work_queue, name="queue"),
    path("queue/export.csv", views.work_queue_export, name="queue-export"),
    path("<int:pk>/", views.request_detail, name="request-detail"),
    path("<int:pk>/edit/", views.request_edit, name="request-edit"),
    path(
        "<int:pk>/excluded-units/",
        views_matching.excluded_units,
        name="request-excluded-units",
    ),
    path("<int:pk>/submit/", views.submit, name="request-submit"),
    path("<int:pk>/withdraw/", views.withdraw, name="request-withdraw"),
    path("<int:pk>/choose/", views.choose, name="request-choose"),
    path("<int:pk>/none-chosen/", views.none_chosen, name="request-none-chosen"),
    path("<int:pk>/take/", views.take, name="request-take"),
    path("<int:pk>/assign/", views.assign, name="request-assign"),
    path(
        "<int:pk>/shortlist/<int:offering_pk>/",
        views_matching.shortlist,
        name="request-shortlist",
    ),
    path("<int:pk>/compare/", views_matching.compare, name="request-compare"),
    path(
        "<int:pk>/recommendations/",
        views_matching.send_recommendations,
        name="request-recommendations-send",
    ),
    path("<int:pk>/no-provider/", views.no_provider_found, name="request-no-provider"),
    path("<int:pk>/messages/", views.post_message, name="request-message"),
    path("<int:pk>/notes/", views.post_internal_note, name="request-internal-note"),
    path("<int:pk>/print/", views.request_print, name="request-print"),
    path("<int:pk>/attachments/", views.attachment_add, name="attachment-add"),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/",
        views.attachment_download,
        name="attachment-download",
    ),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/remove/",
        views.attachment_remove,
        name="attachment-remove",
    ),
    path("<int:pk>/deviations/", views.lodge_deviation, name="deviation-lodge"),
    path(
        "<int:pk>/deviations/<int:deviation_pk>/handle/",
        views.handle_deviation,
        name="deviation-handle",
    ),
    path(
        "<int:pk>/deviations/<int:deviation_pk>/close/",
        views.close_deviation,
        name="deviation-close",
    ),
]
