from django.contrib import admin

from .models import PlaybackEvent, QualityCriterion, RecordingHold, ScoreCard


@admin.register(QualityCriterion)
class QualityCriterionAdmin(admin.ModelAdmin):
    list_display = ["title", "code", "max_points", "position", "is_active"]
    list_editable = ["max_points", "position", "is_active"]
    prepopulated_fields = {"code": ["title"]}


@admin.register(ScoreCard)
class ScoreCardAdmin(admin.ModelAdmin):
    list_display = ["ticket", "agent", "reviewer", "created_at", "points", "max_points"]
    list_select_related = ["ticket", "agent", "reviewer"]
    raw_id_fields = ["ticket", "agent", "reviewer"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RecordingHold)
class RecordingHoldAdmin(admin.ModelAdmin):
    list_display = ["recording", "reason", "placed_by", "placed_at", "released_at"]
    raw_id_fields = ["recording", "placed_by", "released_by"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PlaybackEvent)
class PlaybackEventAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "recording", "byte_range"]
    list_select_related = ["user", "recording"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
