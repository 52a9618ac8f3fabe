# ProactivePost now belongs to the proactive app (proactive.0001 took over its state and
# its table): only Django's state forgets it here; the table and its rows stay.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("discordbot", "0005_moderationentry_moves_to_moderation"),
        ("proactive", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ProactivePost")],
        ),
    ]
