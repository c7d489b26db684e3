"""Import and export pages: upload → preview (a dry run as a job the page polls) → confirm; downloads. Thin views."""

from django import forms
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.policy import access_organisation, can
from accounts.services import audit
from lec.lib.errors import DomainError
from lec.lib.net import client_ip
from lec.lib.spreadsheets import MAX_BYTES, XLSX_CONTENT_TYPE, FileRefused
from lec.models import Job
from lec.services import job_advance, job_start
from schools import grid_import
from schools.models import INSTITUTION_KINDS, Kind, Round

from . import exporting, importing
from .importing import IMPORT, PREVIEW
from .models import Status

ALLOWED = (".xlsx", ".csv", ".txt")


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Learner file (.xlsx or .csv)"),
        help_text=gettext_lazy(
            "Our template or LEC's student-detail report. Up to 20 MB and 50,000 learners."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv", "class": "form-control"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(ALLOWED):
            raise forms.ValidationError(_("Upload an Excel (.xlsx) or CSV (.csv) file."))
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("This file is larger than %(mb)s MB. Split it into smaller files and upload each.")
                % {"mb": MAX_BYTES // (1024 * 1024)}
            )
        return upload


def _institution(request, code, action="import_learners"):
    org = access_organisation(request.user, code, action)
    if org.kind not in INSTITUTION_KINDS:
        raise Http404
    return org


def _job(org, job_id, kind=Job.Kind.IMPORT_LEARNERS) -> Job:
    return get_object_or_404(Job, pk=job_id, organisation=org, kind=kind)


def import_start(request, code):
    org = _institution(request, code)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = job_start(kind=Job.Kind.IMPORT_LEARNERS, phase=PREVIEW, organisation=org, acting_user=request.user,
                        upload=upload)  # fmt: skip
        return redirect("students_io:job", code=org.code, job_id=job.pk)
    recent = Job.objects.filter(organisation=org, kind=Job.Kind.IMPORT_LEARNERS).select_related("created_by")[
        :5
    ]
    return render(request, "students/io/import.html", {"org": org, "form": form, "recent": recent})


def import_template(request, code):
    org = _institution(request, code)
    response = HttpResponse(exporting.template_workbook(org.kind), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="lec-learners-template.xlsx"'
    return response


def _job_context(org, job):
    result = job.result or {}
    problems = result.get("problems", [])
    for p in problems:
        p["text"] = importing.problem_text(p)
    return {
        "org": org,
        "job": job,
        "result": result,
        "groups": importing.grouped_problems(problems),
        "problem_count": len(problems),
        "shown_limit": 500,
    }


def import_job(request, code, job_id):
    org = _institution(request, code)
    job = _job(org, job_id)
    return render(request, "students/io/job.html", _job_context(org, job))


def import_progress(request, code, job_id):
    org = _institution(request, code)
    job = _job(org, job_id)
    response = render(request, "students/io/_progress.html", {"org": org, "job": job})
    if job.is_finished:
        response["HX-Refresh"] = "true"
    return response


@require_POST
def import_confirm(request, code, job_id):
    org = _institution(request, code)
    job = _job(org, job_id)
    if job.phase != PREVIEW or job.state != Job.State.DONE or (job.result or {}).get("problems"):
        raise DomainError(_("This file cannot be imported as it is. Fix the problems and upload it again."))
    job_advance(job=job, phase=IMPORT)
    return redirect("students_io:job", code=org.code, job_id=job.pk)


def import_annotated(request, code, job_id):
    org = _institution(request, code)
    job = _job(org, job_id)
    if not (job.result or {}).get("problems"):
        raise Http404
    with job.file.open("rb") as fh:
        data = importing.annotate(fh, job.filename, job.result)
    # the workbook is the uploaded file itself (full identities): its download is logged (issue 12 hole 5)
    audit(acting_user=request.user, action="download_annotated", organisation=org, object_ref=f"job:{job.pk}",
          ip=client_ip(request), problems=len(job.result.get("problems") or []))  # fmt: skip
    stem = job.filename.rsplit(".", 1)[0]
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{stem}-problems.xlsx"'.encode(
        "ascii", "ignore"
    ).decode()
    response["Content-Disposition"] = 'attachment; filename="lec-import-problems.xlsx"'
    return response


# --- exports ---------------------------------------------------------------------------------------------------


def export_page(request, code):
    org = access_organisation(request.user, code, "export_learners")
    rounds = list(Round.objects.exclude(state=Round.State.PLANNED).order_by("-academic_year", "-term")[:6])
    levels_available = []
    if org.kind in (Kind.DEPARTMENT, Kind.PROVINCE):
        levels_available.append(("lao", _("One row per LAO")))
    if org.kind in (Kind.DEPARTMENT, Kind.PROVINCE, Kind.LAO, *INSTITUTION_KINDS):
        levels_available.append(("institution", _("One row per school or CDC")))
    jobs = Job.objects.filter(organisation=org, kind=Job.Kind.EXPORT_LEARNERS, created_by=request.user)[:5]
    return render(request, "students/io/export.html", {"org": org, "rounds": rounds, "levels": levels_available,
                                                       "jobs": jobs})  # fmt: skip


def export_learners(request, code):
    org = access_organisation(request.user, code, "export_learners")
    fmt = request.GET.get("format", "csv")
    status = request.GET.get("status", Status.ACTIVE)
    if fmt == "xlsx" and request.GET.get("background") == "1":
        exporting.parse_status(status)
        job = job_start(kind=Job.Kind.EXPORT_LEARNERS, phase="export", organisation=org, acting_user=request.user,
                        params={"format": fmt, "status": status})  # fmt: skip
        return redirect("students_io:export_job", code=org.code, job_id=job.pk)
    return exporting.learners_export(acting_user=request.user, organisation=org, fmt=fmt, status=status,
                                     ip=client_ip(request))  # fmt: skip


def export_job_page(request, code, job_id):
    org = access_organisation(request.user, code, "export_learners")
    job = get_object_or_404(
        Job, pk=job_id, organisation=org, kind=Job.Kind.EXPORT_LEARNERS, created_by=request.user
    )
    if request.htmx:
        response = render(request, "students/io/_progress.html", {"org": org, "job": job})
        if job.is_finished:
            response["HX-Refresh"] = "true"
        return response
    return render(request, "students/io/export_job.html", {"org": org, "job": job})


def export_job_download(request, code, job_id):
    org = access_organisation(request.user, code, "export_learners")
    job = get_object_or_404(
        Job, pk=job_id, organisation=org, kind=Job.Kind.EXPORT_LEARNERS, created_by=request.user
    )
    if job.state != Job.State.DONE or not job.output:
        raise Http404
    return FileResponse(
        job.output.open("rb"), as_attachment=True, filename=job.output.name.rsplit("/", 1)[-1]
    )


# --- other-affiliation headcounts (an LAO's grid) --------------------------------------------------------------


class GridUploadForm(forms.Form):
    round = forms.TypedChoiceField(label=gettext_lazy("Round"), coerce=int)
    file = forms.FileField(
        label=gettext_lazy("Headcount file (.xlsx or .csv)"),
        help_text=gettext_lazy("One row per school and class level: school code, class level, male, female."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv", "class": "form-control"}),
    )

    def __init__(self, *args, rounds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["round"].choices = [(r.pk, r.name) for r in rounds]
        self.fields["round"].widget.attrs["class"] = "form-select"


def other_schools_import(request, code):
    lao = access_organisation(request.user, code, "edit_other_schools")
    if lao.kind != Kind.LAO:
        raise Http404
    rounds = list(Round.objects.filter(state=Round.State.OPEN))
    form = GridUploadForm(request.POST or None, request.FILES or None, rounds=rounds)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        round_ = next(r for r in rounds if r.pk == form.cleaned_data["round"])
        upload = form.cleaned_data["file"]
        try:
            saved = grid_import.other_schools_import(lao=lao, round_=round_, source=upload.file,
                                                     filename=upload.name, acting_user=request.user)  # fmt: skip
        except FileRefused as exc:
            problems = [exc.message]
        except grid_import.GridProblems as exc:
            problems = exc.lines
        else:
            from django.contrib import messages

            messages.success(request, _("Headcounts saved for %(n)s schools.") % {"n": saved})
            return redirect(reverse("schools:other_headcounts", args=[lao.code]) + f"?round={round_.pk}")
    return render(request, "students/io/other_schools.html", {"org": lao, "form": form, "problems": problems,
                                                               "can_edit": can(request.user, "edit_other_schools", lao)})  # fmt: skip
