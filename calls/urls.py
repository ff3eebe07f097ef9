from django.urls import path

from . import views
from .desk import webhooks as desk_webhooks
from .ivr import views as ivr_views
from .review import webhooks as review_webhooks

urlpatterns = [
    # The telephony provider's webhooks (signature-authenticated).
    path("ivr/voice/", ivr_views.voice, name="ivr-voice"),
    path("ivr/step/", ivr_views.step, name="ivr-step"),
    path("ivr/wait/", ivr_views.wait, name="ivr-wait"),
    path("ivr/queue/", ivr_views.queue_result, name="ivr-queue-result"),
    path("ivr/dial-result/", desk_webhooks.dial_result, name="ivr-dial-result"),
    path("ivr/status/", ivr_views.status, name="ivr-status"),
    path("ivr/recording/", review_webhooks.recording, name="ivr-recording"),
    # A callback dialled from a promise (calls.desk.callbacks); the ticket's id in ?t=.
    path("ivr/callback/answered/", desk_webhooks.callback_answered, name="callback-answered"),
    path("ivr/callback/dial/", desk_webhooks.callback_dial_result, name="callback-dial-result"),
    path("ivr/callback/status/", desk_webhooks.callback_status, name="callback-status"),
    path("ivr/callback/recording/", review_webhooks.callback_recording, name="callback-recording"),
    # Screens.
    path("demo-phone/", views.demo_phone, name="demo-phone"),
    path("demo-phone/act/", views.demo_phone_act, name="demo-phone-act"),
    path("demo-phone/state/", views.demo_phone_state, name="demo-phone-state"),
    path("demo-phone/callbacks/", views.demo_phone_callbacks, name="demo-phone-callbacks"),
    path(
        "demo-phone/callbacks/act/", views.demo_phone_callback_act, name="demo-phone-callback-act"
    ),
]
