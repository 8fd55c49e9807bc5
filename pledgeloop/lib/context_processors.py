from django.conf import settings


def site(request):
    return {
        "ICP_NUMBER": settings.PLEDGELOOP["ICP_NUMBER"],
        "SITE_NAME": settings.PLEDGELOOP["SITE_NAME"],
    }
