from django.contrib import admin

from .models import Delivery, Notice, OptOut


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "text", "read_at"]
    list_filter = ["kind"]
    search_fields = ["text", "recipient__username"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "masked_address", "kind", "status", "attempts", "last_error"]
    list_filter = ["channel", "status", "kind"]
    readonly_fields = [f.name for f in Delivery._meta.fields]


@admin.register(OptOut)
class OptOutAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "address"]
