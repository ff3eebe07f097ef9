from django.urls import path

from . import views

app_name = "desk"

urlpatterns = [
    path("", views.home, name="home"),
    path("queue/", views.queue_partial, name="queue"),
    path("presence/", views.presence, name="presence"),
    path("take/<id:ticket_id>/", views.take, name="take"),
    path("verify/", views.manual_verify, name="manual-verify"),
    path("call/<id:ticket_id>/", views.call, name="call"),
    path("call/<id:ticket_id>/connection/", views.connection, name="connection"),
    path(
        "call/<id:ticket_id>/connection/retry/",
        views.connection_retry,
        name="connection-retry",
    ),
    path("call/<id:ticket_id>/contract/<str:policy_number>/", views.contract, name="contract"),
    path("call/<id:ticket_id>/claim/<str:claim_number>/", views.claim, name="claim"),
    path("call/<id:ticket_id>/offer/<str:offer_number>/", views.offer, name="offer"),
    path("call/<id:ticket_id>/complaint/", views.complaint, name="complaint"),
    path(
        "call/<id:ticket_id>/contract/<str:policy_number>/claim-report/",
        views.claim_report,
        name="claim-report",
    ),
    path("call/<id:ticket_id>/promise/", views.promise, name="promise"),
    path("call/<id:ticket_id>/guidance/", views.guidance, name="guidance"),
    path("call/<id:ticket_id>/library/", views.library_send, name="library-send"),
    path("call/<id:ticket_id>/close/", views.close, name="close"),
    path("call/<id:ticket_id>/remark/", views.remark, name="remark"),
    path("promise/<id:request_id>/done/", views.promise_done, name="promise-done"),
    path("promise/<id:request_id>/take-over/", views.promise_take_over, name="promise-take-over"),
    path("disclosures/", views.disclosures, name="disclosures"),
]
