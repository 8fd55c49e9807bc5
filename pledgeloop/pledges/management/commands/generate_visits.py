from pledgeloop.pledges import jobs

from ._job import JobCommand


class Command(JobCommand):
    help = "Activate pledges whose start has come; extend active pledges' visits 90 days ahead."
    job = staticmethod(jobs.generate_visits)
