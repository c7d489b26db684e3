"""{% column_guide "organisations" %}: the upload pages' file columns explained in plain Thai, with a template."""

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

GUIDES = {
    "organisations": (
        "lec/templates/organisations-template.csv",
        [
            (
                "code",
                _("The organisation's code, for example 1050100001 (a school) or 5010101 (an LAO)."),
                True,
            ),
            (
                "kind",
                _("department, province, lao, school, cdc (a child development centre) or other_school."),
                True,
            ),
            ("name_th", _("The name in Thai."), True),
            ("name_en", _("The name in English (may be left empty)."), False),
            (
                "parent_code",
                _("The code of the organisation above it (empty only for the department)."),
                True,
            ),
            (
                "lao_type",
                _(
                    "For an LAO only: pao, city_municipality, town_municipality, subdistrict_municipality, sao or pattaya."
                ),
                False,
            ),
            ("affiliation", _("For an other-affiliation school only: obec, bpp, private or other."), False),
            (
                "is_active",
                _("1 while the organisation exists, 0 once it has closed or merged (empty means 1)."),
                False,
            ),
        ],
    ),
    "users": (
        "lec/templates/users-template.csv",
        [
            (
                "username",
                _("The sign-in name, in English letters and digits, for example school_1050100001."),
                True,
            ),
            ("organisation_code", _("The code of the organisation the account works for."), True),
            ("email", _("The e-mail address for password resets (may be left empty)."), False),
            ("first_name", _("The person's first name."), False),
            ("last_name", _("The person's last name."), False),
        ],
    ),
}


@register.inclusion_tag("partials/column_guide.html")
def column_guide(name):
    path, columns = GUIDES[name]
    return {"template": path, "columns": columns}
