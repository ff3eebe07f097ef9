from django.contrib import admin

from partners.audit import ViewOnlyAdmin

from .models import PlaybackEvent, QualityCriterion, RecordingHold, ScoreCard


@admin.register(QualityCriterion)
class QualityCriterionAdmin(admin.ModelAdmin):
    list_display = ["title", "code", "max_points", "position", "is_active"]
    list_editable = ["max_points", "position", "is_active"]
    prepopulated_fields = {"code": ["title"]}


@admin.register(ScoreCard)
class ScoreCardAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    """Reviews are written on the review pages (``score_card_create``); here they are read."""

    list_display = ["ticket", "agent", "reviewer", "created_at", "points", "max_points"]
    list_select_related = ["ticket", "agent", "reviewer"]
    raw_id_fields = ["ticket", "agent", "reviewer"]


@admin.register(RecordingHold)
class RecordingHoldAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    """Holds are placed and released on the call's review page, by the audited services."""

    list_display = ["recording", "reason", "placed_by", "placed_at", "released_at"]
    raw_id_fields = ["recording", "placed_by", "released_by"]


@admin.register(PlaybackEvent)
class PlaybackEventAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    list_display = ["at", "user", "recording", "byte_range"]
    list_select_related = ["user", "recording"]
