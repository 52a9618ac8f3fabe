from __future__ import annotations

from django.contrib.auth import views as django_auth
from django.urls import path

from accounts import auth_views, knowledge_views, views, workspace_settings

urlpatterns = [
    path("", views.overview, name="home"),
    path("playground/", views.playground, name="playground"),
    path("playground/clear/", views.playground_clear, name="playground_clear"),
    path("playground/moderation/", views.playground_moderation, name="playground_moderation"),
    path("knowledge/", knowledge_views.knowledge, name="knowledge"),
    path("knowledge/sources/", knowledge_views.knowledge_sources, name="knowledge_sources"),
    path("knowledge/search/", knowledge_views.knowledge_search, name="knowledge_search"),
    path("knowledge/add/text/", knowledge_views.knowledge_add_text, name="knowledge_add_text"),
    path("knowledge/add/file/", knowledge_views.knowledge_add_file, name="knowledge_add_file"),
    path("knowledge/add/url/", knowledge_views.knowledge_add_url, name="knowledge_add_url"),
    path("knowledge/<int:source_id>/", knowledge_views.knowledge_source, name="knowledge_source"),
    path("knowledge/<int:source_id>/reindex/", knowledge_views.knowledge_reindex, name="knowledge_reindex"),
    path("knowledge/<int:source_id>/delete/", knowledge_views.knowledge_delete, name="knowledge_delete"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    # Django's LogoutView only accepts POST, so a link crafted elsewhere cannot sign anyone out.
    path("logout/", django_auth.LogoutView.as_view(), name="logout"),
    path("settings/", workspace_settings.workspace_settings, name="workspace_settings"),
]
