from __future__ import annotations

from django.contrib.auth import views as django_auth
from django.urls import path

from accounts import auth_views, views, workspace_settings

urlpatterns = [
    path("", views.overview, name="home"),
    path("playground/", views.playground, name="playground"),
    path("playground/clear/", views.playground_clear, name="playground_clear"),
    path("playground/moderation/", views.playground_moderation, name="playground_moderation"),
    path("knowledge/", views.knowledge, name="knowledge"),
    path("knowledge/sources/", views.knowledge_sources, name="knowledge_sources"),
    path("knowledge/search/", views.knowledge_search, name="knowledge_search"),
    path("knowledge/add/text/", views.knowledge_add_text, name="knowledge_add_text"),
    path("knowledge/add/file/", views.knowledge_add_file, name="knowledge_add_file"),
    path("knowledge/add/url/", views.knowledge_add_url, name="knowledge_add_url"),
    path("knowledge/<int:source_id>/", views.knowledge_source, name="knowledge_source"),
    path("knowledge/<int:source_id>/reindex/", views.knowledge_reindex, name="knowledge_reindex"),
    path("knowledge/<int:source_id>/delete/", views.knowledge_delete, name="knowledge_delete"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    # Django's LogoutView only accepts POST, so a link crafted elsewhere cannot sign anyone out.
    path("logout/", django_auth.LogoutView.as_view(), name="logout"),
    path("settings/", workspace_settings.workspace_settings, name="workspace_settings"),
]
