from __future__ import annotations

from django.urls import path

from conversations import gap_views, views

urlpatterns = [
    path("", views.conversation_list, name="conversation_list"),
    path("feed/", views.conversation_feed, name="conversation_feed"),
    path("gaps/", gap_views.gaps_page, name="knowledge_gaps"),
    path("gaps/answer/", gap_views.answer_gap, name="knowledge_gaps_answer"),
    path("<int:conversation_id>/", views.conversation_detail, name="conversation_detail"),
    path("<int:conversation_id>/feed/", views.conversation_detail_feed, name="conversation_detail_feed"),
    path("<int:conversation_id>/take-over/", views.conversation_take_over, name="conversation_take_over"),
    path("<int:conversation_id>/reply/", views.conversation_reply, name="conversation_reply"),
    path("<int:conversation_id>/typing/", views.conversation_typing, name="conversation_typing"),
    path("<int:conversation_id>/hand-back/", views.conversation_hand_back, name="conversation_hand_back"),
    path(
        "<int:conversation_id>/messages/<int:message_id>/save-as-knowledge/",
        gap_views.save_reply_as_knowledge,
        name="conversation_save_reply",
    ),
]
