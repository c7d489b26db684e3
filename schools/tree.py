"""The organisation tree's derived fields (path, depth, province, lao) and their rebuild after a move."""

from collections.abc import Iterable

from .models import DEPTH, Kind, Organisation


def derived_fields(kind: str, parent: Organisation | None, code: str, self_id: int | None = None) -> dict:
    """path, depth, province and lao of a row under `parent`."""
    path = f"{parent.path}/{code}" if parent else code
    fields = {"path": path, "depth": DEPTH[Kind(kind)], "province_id": None, "lao_id": None}
    if kind == Kind.PROVINCE:
        fields["province_id"] = self_id
    elif kind == Kind.LAO:
        fields["province_id"] = parent.id
        fields["lao_id"] = self_id
    elif parent is not None and kind != Kind.DEPARTMENT:
        fields["province_id"] = parent.province_id
        fields["lao_id"] = parent.id
    return fields


def tree_rebuild(roots: Iterable[Organisation]) -> int:
    """Recompute path, depth, province and lao below each root (after a parent changed). Returns rows changed."""
    changed = []
    for root in roots:
        stack = [root]
        while stack:
            parent = stack.pop()
            for child in Organisation.objects.filter(parent=parent):
                for field, value in derived_fields(child.kind, parent, child.code, child.id).items():
                    setattr(child, field, value)
                changed.append(child)
                stack.append(child)
    Organisation.objects.bulk_update(changed, ["path", "depth", "province_id", "lao_id"], batch_size=1000)
    return len(changed)
