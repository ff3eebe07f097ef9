from django.urls import path

from . import callback_views, typing_views, views

app_name = "desk"

urlpatterns = [
    path("", views.home, name="home"),
    path("queue/", views.queue_partial, name="queue"),
    path("presence/", views.presence, name="presence"),
    path("take/<id:ticket_id>/", views.take, name="take"),
    path("verify/", views.manual_verify, name="manual-verify"),
    path("call/<id:ticket_id>/", views.call, name="call"),
    path("call/<id:ticket_id>/connection/", views.connection, name="connection"),
    path("call/<id:ticket_id>/search/", typing_views.search, name="search"),
    path("call/<id:ticket_id>/notes/", typing_views.notes, name="notes"),
    path(
        "call/<id:ticket_id>/connection/retry/",
        views.connection_retry,
        name="connection-retry",
    ),
    path("call/<id:ticket_id>/contract/<ref:policy_number>/", views.contract, name="contract"),
    path("call/<id:ticket_id>/claim/<ref:claim_number>/", views.claim, name="claim"),
    path("call/<id:ticket_id>/offer/<ref:offer_number>/", views.offer, name="offer"),
    path("call/<id:ticket_id>/complaint/", views.complaint, name="complaint"),
    path(
        "call/<id:ticket_id>/contract/<ref:policy_number>/claim-report/",
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
    # Callbacks dialled through the provider (calls.desk.callbacks).
    path("promise/<id:request_id>/callback/", callback_views.callback_new, name="callback-new"),
    path("callback/<id:attempt_id>/", callback_views.callback, name="callback"),
    path("callback/<id:attempt_id>/state/", callback_views.callback_state, name="callback-state"),
    path(
        "callback/<id:attempt_id>/verify/", callback_views.callback_verify, name="callback-verify"
    ),
    path(
        "callback/<id:attempt_id>/finish/", callback_views.callback_finish, name="callback-finish"
    ),
]
