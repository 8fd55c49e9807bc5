from django.urls import path

from . import feeds, views

app_name = "diary"
urlpatterns = [
    path("diary/", views.article_list, name="list"),
    path("diary/feed.atom", feeds.DiaryFeed(), name="feed"),
    path("diary/<slug:slug>/", views.article_detail, name="detail"),
    path("diary/<slug:slug>/wechat/", views.article_wechat, name="wechat"),
    path("console/diary/", views.manage, name="manage"),
    path("console/diary/<int:pk>/", views.edit, name="edit"),
    path("console/diary/from-event/<int:event_pk>/", views.draft_from_event, name="from_event"),
    path("console/diary/<int:pk>/<str:action>/", views.act, name="act"),
]
