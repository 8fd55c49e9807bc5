from django.db import migrations


class Migration(migrations.Migration):
    """sent_at becomes handled_at: a notification leaves the outbox when every sender reached
    an outcome, which is not always "sent" (the logging sender sends nothing)."""

    dependencies = [("notify", "0002_outbox")]

    operations = [
        migrations.RemoveIndex(model_name="notification", name="notification_outbox"),
        migrations.RenameField(
            model_name="notification", old_name="sent_at", new_name="handled_at"
        ),
    ]
