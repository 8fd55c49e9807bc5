from .viewer import unread_count


def inbox(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"unread_count": lambda: unread_count(request)}
