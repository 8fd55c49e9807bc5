from pledgeloop.pledges import jobs

from ._job import JobCommand


class Command(JobCommand):
    help = "Remind members of their party anniversary 7 days before and on the day."
    job = staticmethod(jobs.remind_anniversaries)
