from pledgeloop.pledges import jobs

from ._job import JobCommand


class Command(JobCommand):
    help = "Mark visits past their date plus the grace period as missed; close ended pledges."
    job = staticmethod(jobs.mark_missed_visits)
