from django.urls import path

from . import views, views_moves

app_name = "students"
urlpatterns = [
    path("o/<str:code>/learners/", views.roster, name="roster"),
    path("o/<str:code>/learners/add/", views.learner_add, name="learner_add"),
    path("o/<str:code>/learners/find/", views.identity_search, name="identity_search"),
    path("o/<str:code>/transfers/", views_moves.transfers, name="transfers"),
    path("o/<str:code>/transfers/request/", views_moves.transfer_request, name="transfer_request"),
    path("o/<str:code>/promotion/", views_moves.promotion, name="promotion"),
    path("learners/address-lookup/", views.address_lookup, name="address_lookup"),
    path("learners/<int:pk>/", views.learner_detail, name="learner"),
    path("learners/<int:pk>/edit/", views.learner_edit, name="learner_edit"),
    path("learners/<int:pk>/leave/", views.learner_leave, name="learner_leave"),
    path("learners/<int:pk>/history/", views.learner_history, name="learner_history"),
    path("transfers/<int:pk>/approve/", views_moves.transfer_approve, name="transfer_approve"),
    path("transfers/<int:pk>/reject/", views_moves.transfer_reject, name="transfer_reject"),
    path("promotions/<int:pk>/undo/", views_moves.promotion_undo, name="promotion_undo"),
]
