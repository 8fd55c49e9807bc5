from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("service", "0005_name_evidence")]

    operations = [
        migrations.AddConstraint(
            model_name="servicerecord",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("verification", "verified"), models.Q(("evidence", ""), _negated=True)
                    ),
                    models.Q(
                        models.Q(("verification", "verified"), _negated=True), ("evidence", "")
                    ),
                    _connector="OR",
                ),
                name="service_verified_names_evidence",
            ),
        ),
        migrations.AddConstraint(
            model_name="servicerecord",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("flagged_at__isnull", True),
                    models.Q(("verification", "verified"), _negated=True),
                    _connector="OR",
                ),
                name="service_disputed_not_verified",
            ),
        ),
    ]
