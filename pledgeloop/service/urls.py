from django.urls import path

from . import views

app_name = "service"
urlpatterns = [
    path("me/service/", views.my_records, name="mine"),
    path("me/service/new/", views.my_record_new, name="new"),
    path("service/records/<int:pk>/", views.record_detail, name="record"),
    path("service/beneficiaries/", views.beneficiary_search, name="beneficiaries"),
    path("console/service/", views.console_records, name="console"),
    path("console/service/new/", views.console_record_new, name="console_new"),
    path("console/service/export.xlsx", views.console_export, name="export"),
    path("console/service/checkin-codes/", views.checkin_codes, name="checkin_codes"),
    path("service/records/<int:pk>/settle/", views.record_settle, name="settle"),
    path("console/service/screens/", views.checkin_screens, name="checkin_screens"),
    path("checkin/screen/<str:key>/", views.checkin_screen, name="screen"),
    path("checkin/<str:token>/", views.checkin, name="checkin"),
]
