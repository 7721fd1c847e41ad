from django.urls import path  # noqa: F401

app_name = "followup"

# Monitoring pages (signals inbox, sources, runs) are added by monitoring_urls; controls,
# feedback, deep controls and site visits here.
urlpatterns: list = []
