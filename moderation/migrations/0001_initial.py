# The moderation log moves here from the Discord app (integrations.discordbot). Only
# Django's state moves: the table keeps its name (db_table) and its rows, indexes and
# foreign keys, on SQLite and Postgres alike. discordbot.0005 drops the old state.

import django.db.models.deletion
from django.db import migrations, models

from guildmind.db import moved_models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("accounts", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("discordbot", "0004_proactive_posts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ModerationEntry",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("guild_id", models.CharField(max_length=32)),
                        ("channel_id", models.CharField(max_length=32)),
                        ("message_id", models.CharField(max_length=32)),
                        ("member_id", models.CharField(max_length=32)),
                        ("member_name", models.CharField(blank=True, max_length=100)),
                        ("message_text", models.TextField(blank=True)),
                        ("rule", models.TextField(blank=True)),
                        ("severity", models.CharField(blank=True, max_length=10)),
                        ("action", models.CharField(choices=[("none", "None"), ("delete", "Delete"), ("warn", "Warn"), ("timeout", "Timeout"), ("kick", "Kick"), ("ban", "Ban")], max_length=10)),
                        ("reason", models.TextField(blank=True)),
                        ("outcome", models.CharField(choices=[("done", "Done"), ("failed", "Failed"), ("dry_run", "Dry run"), ("skipped", "Skipped")], max_length=10)),
                        ("outcome_detail", models.TextField(blank=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        ("server", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="moderation_entries", to="discordbot.discordserver")),
                        ("workspace", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="moderation_entries", to="accounts.workspace")),
                    ],
                    options={
                        "verbose_name_plural": "moderation entries",
                        "db_table": "discordbot_moderationentry",
                        "ordering": ["-created_at", "-id"],
                        "indexes": [
                            models.Index(fields=["server", "created_at"], name="moderation_server_time"),
                            models.Index(fields=["server", "member_id", "created_at"], name="moderation_member_time"),
                        ],
                    },
                ),
            ],
        ),
        moved_models("discordbot", "moderation", "moderationentry"),
    ]
