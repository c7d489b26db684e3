"""API schemas for organisations."""

from ninja import Schema


class OrgOut(Schema):
    code: str
    kind: str
    name_th: str
    name_en: str
    parent_code: str | None
    lao_type: str
    affiliation: str
    is_active: bool

    @staticmethod
    def resolve_parent_code(obj):
        parent_code = getattr(obj, "parent_code", None)
        if parent_code is not None:
            return parent_code
        path = obj.path
        return path.rsplit("/", 1)[0].rsplit("/", 1)[-1] if "/" in path else None
