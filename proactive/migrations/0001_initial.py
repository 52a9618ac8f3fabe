# Proactive posts move here from the Discord app (integrations.discordbot). Only Django's
# state moves: the table keeps its name (db_table) and its rows, index, constraint and
# foreign keys, on SQLite and Postgres alike. discordbot.0006 drops the old state.

import django.db.models.deletion
from django.db import migrations, models

from guildmind.db import moved_models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("accounts", "0002_invitation"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("discordbot", "0004_proactive_posts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ProactivePost",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(choices=[("scheduled", "Scheduled"), ("manual", "Post now")], default="scheduled", max_length=10)),
                        ("run_at", models.DateTimeField()),
                        ("topic", models.CharField(blank=True, max_length=300)),
                        ("channel_name", models.CharField(blank=True, max_length=100)),
                        ("channel_id", models.CharField(blank=True, max_length=32)),
                        ("text", models.TextField(blank=True)),
                        ("message_id", models.CharField(blank=True, max_length=32)),
                        ("status", models.CharField(choices=[("posting", "Posting"), ("posted", "Posted"), ("failed", "Failed"), ("skipped", "Skipped")], default="posting", max_length=10)),
                        ("error", models.TextField(blank=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        ("server", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="proactive_posts", to="discordbot.discordserver")),
                        ("workspace", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="proactive_posts", to="accounts.workspace")),
                    ],
                    options={
                        "db_table": "discordbot_proactivepost",
                        "ordering": ["-run_at", "-id"],
                        "indexes": [models.Index(fields=["server", "workspace", "status"], name="proactive_server_status")],
                        "constraints": [models.UniqueConstraint(fields=("server", "kind", "run_at"), name="proactive_slot_posts_once")],
                    },
                ),
            ],
        ),
        moved_models("discordbot", "proactive", "proactivepost"),
    ]
