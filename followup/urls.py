from django.urls import path

from followup import views

app_name = "followup"

# Monitoring pages (signals inbox, sources, runs) are added by followup.monitoring.urls; controls,
# feedback, deep controls and site visits here.
urlpatterns = [
    # Pre-admission controls
    path("controls/", views.control_list, name="control-list"),
    path("controls/new/", views.control_create, name="control-create"),
    path("controls/<int:pk>/", views.control_detail, name="control-detail"),
    path("controls/<int:pk>/checks/<slug:kind>/", views.control_check, name="control-check"),
    path(
        "controls/<int:pk>/checks/<slug:kind>/evidence/",
        views.control_evidence,
        name="control-evidence",
    ),
    path("controls/<int:pk>/decide/", views.control_decide, name="control-decide"),
    # Feedback (synpunkter)
    path("feedback/", views.feedback_list, name="feedback-list"),
    path("feedback/mine/", views.feedback_mine, name="feedback-mine"),
    path("feedback/new/", views.feedback_create, name="feedback-create"),
    path("feedback/new/units/", views.feedback_unit_search, name="feedback-unit-search"),
    path("feedback/new/requests/", views.feedback_request_search, name="feedback-request-search"),
    path("feedback/<int:pk>/", views.feedback_detail, name="feedback-detail"),
    path("feedback/<int:pk>/communicate/", views.feedback_communicate, name="feedback-communicate"),
    path("feedback/<int:pk>/answer/", views.feedback_answer, name="feedback-answer"),
    path("feedback/<int:pk>/close/", views.feedback_close, name="feedback-close"),
    # Deep controls
    path("deep-controls/", views.deep_control_list, name="deep-control-list"),
    path("deep-controls/new/", views.deep_control_create, name="deep-control-create"),
    path("deep-controls/<int:pk>/", views.deep_control_detail, name="deep-control-detail"),
    path("deep-controls/<int:pk>/edit/", views.deep_control_update, name="deep-control-update"),
    path("deep-controls/<int:pk>/decide/", views.deep_control_decide, name="deep-control-decide"),
    # Order-stop proposals, decided by procurement
    path("order-stop-proposals/", views.proposal_list, name="proposal-list"),
    path("order-stop-proposals/<int:pk>/", views.proposal_detail, name="proposal-detail"),
    path("order-stop-proposals/<int:pk>/decide/", views.proposal_decide, name="proposal-decide"),
    # Matching-focused site visits
    path("site-visits/", views.site_visit_list, name="site-visit-list"),
    path("site-visits/new/", views.site_visit_create, name="site-visit-create"),
    path("site-visits/<int:pk>/", views.site_visit_detail, name="site-visit-detail"),
    path("site-visits/<int:pk>/record/", views.site_visit_record, name="site-visit-record"),
    path("site-visits/<int:pk>/join/", views.site_visit_join, name="site-visit-join"),
    path("site-visits/questions/", views.question_template_list, name="question-template-list"),
    path(
        "site-visits/questions/<slug:code>/",
        views.question_template_edit,
        name="question-template-edit",
    ),
]
