from django.db import migrations


def name_evidence(apps, schema_editor):
    """Hours verified before evidence was recorded get the evidence that verified them.

    Until now hours became verified by a check-in/out or by a beneficiary's review. A check-in
    at a resident's code is the beneficiary's own code; one at a site's printed code alone no
    longer verifies, so those hours become self-reported unless a review confirmed them.
    """
    CheckIn = apps.get_model("service", "CheckIn")
    ServiceRecord = apps.get_model("service", "ServiceRecord")
    CheckIn.objects.filter(resident__isnull=False).update(in_proof="beneficiary")
    CheckIn.objects.filter(resident__isnull=False, checked_out_at__isnull=False).update(
        out_proof="beneficiary"
    )
    CheckIn.objects.filter(site__isnull=False, checked_out_at__isnull=False).update(
        out_proof="printed"
    )
    reviewed = set()
    connection = schema_editor.connection
    if "reviews_review" in connection.introspection.table_names():
        with connection.cursor() as cursor:
            cursor.execute("SELECT record_id FROM reviews_review")
            reviewed = {row[0] for row in cursor.fetchall()}
    verified = ServiceRecord.objects.filter(verification="verified")
    at_resident = set(
        CheckIn.objects.filter(resident__isnull=False, record__isnull=False).values_list(
            "record_id", flat=True
        )
    )
    at_site = set(
        CheckIn.objects.filter(site__isnull=False, record__isnull=False).values_list(
            "record_id", flat=True
        )
    )
    for pk in verified.values_list("pk", flat=True).iterator():
        if pk in at_resident:
            evidence, kind = "beneficiary_code", "verified"
        elif pk in at_site and pk not in reviewed:
            evidence, kind = "", "self"
        else:
            evidence, kind = "review", "verified"
        ServiceRecord.objects.filter(pk=pk).update(evidence=evidence, verification=kind)


class Migration(migrations.Migration):
    dependencies = [("service", "0004_evidence_disputes_screens")]

    operations = [migrations.RunPython(name_evidence, migrations.RunPython.noop)]
