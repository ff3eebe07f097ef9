from django.urls import path

from . import views

app_name = "review"

urlpatterns = [
    path("", views.board, name="board"),
    path("reports/", views.reports, name="reports"),
    path("calls/", views.call_log, name="calls"),
    path("calls/export.csv", views.export_csv, name="export-csv"),
    path("calls/export.xlsx", views.export_xlsx, name="export-xlsx"),
    path("calls/<id:ticket_id>/", views.call_detail, name="call"),
    path("calls/<id:ticket_id>/score/", views.score, name="score"),
    path(
        "calls/<id:ticket_id>/complaint/unmark/",
        views.complaint_unmark,
        name="complaint-unmark",
    ),
    path("recordings/<id:recording_id>/audio/", views.recording_audio, name="audio"),
    path("recordings/<id:recording_id>/hold/", views.hold, name="hold"),
    path("my-reviews/", views.my_reviews, name="my-reviews"),
    path("reviews/<id:card_id>/", views.review_detail, name="review"),
]
