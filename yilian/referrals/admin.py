"""Administrators configure departments, green-channel types and the duty roster here too."""

from django.contrib import admin

from .models import Department, DutyShift, GreenChannelType


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "hospital", "takes_referrals")
    list_filter = ("takes_referrals",)
    search_fields = ("name", "hospital__name")
    raw_id_fields = ("hospital",)


@admin.register(GreenChannelType)
class GreenChannelTypeAdmin(admin.ModelAdmin):
    list_display = ("kind", "hub", "escalate_after_minutes", "active")
    list_filter = ("kind", "active")
    raw_id_fields = ("hub",)


@admin.register(DutyShift)
class DutyShiftAdmin(admin.ModelAdmin):
    list_display = ("hub", "role", "user", "start", "end")
    list_filter = ("role",)
    raw_id_fields = ("hub", "user")
