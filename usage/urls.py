from __future__ import annotations

from django.urls import path

from usage import views

urlpatterns = [
    path("", views.plan_and_usage, name="usage"),
]
