from .models import Notification


def inbox(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {
        "unread_count": lambda: Notification.objects.filter(
            user=request.user, read_at__isnull=True
        ).count()
    }
