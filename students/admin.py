"""Admin for learners and their counters."""

from django.contrib import admin

from .resources import wire_admin

# Audited exports (django-import-export) on the organisation, learner and headcount admin pages.
wire_admin(admin.site)
