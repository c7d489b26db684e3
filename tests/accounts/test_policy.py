"""The policy beyond the typed matrix: anonymous and inactive users, visibility, 404 against 403, admin grants."""

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts import policy
from accounts.roles import ACTIONS
from lec.lib.errors import Forbidden, NotFound

pytestmark = pytest.mark.django_db

# The role × action × relation matrix is tests/accounts/test_permission_matrix.py, typed from design.md; the one that
# stood here computed its expectations from accounts.roles, the table under test, and could not fail on it.


@pytest.mark.parametrize("action", ACTIONS)
def test_anonymous_may_do_nothing(tree, action):
    assert policy.can(AnonymousUser(), action, tree.school1) is False
    assert not policy.visible_organisations(AnonymousUser()).exists()


def test_visible_organisations_is_exactly_the_subtree(tree):
    codes = set(policy.visible_organisations(tree.users["lao1"]).values_list("code", flat=True))
    assert codes == {tree.lao1.code, tree.school1.code, tree.school2.code, tree.cdc1.code, tree.other1.code}
    assert set(policy.visible_organisations(tree.users["school1"]).values_list("code", flat=True)) == {
        tree.school1.code
    }
    assert policy.visible_organisations(tree.users["dept"]).count() == 14


def test_visible_organisations_is_one_query(tree, django_assert_num_queries):
    user = tree.users["p1"]
    with django_assert_num_queries(2):  # grants, then the organisations
        list(policy.visible_organisations(user))


def test_access_hides_what_is_not_visible_and_forbids_what_is_visible(tree):
    school_user = tree.users["school1"]
    with pytest.raises(NotFound):
        policy.access_organisation(school_user, tree.school2.code)
    with pytest.raises(NotFound):
        policy.access_organisation(school_user, "does-not-exist")
    lao_user = tree.users["lao1"]
    assert policy.access_organisation(lao_user, tree.school1.code) == tree.school1
    with pytest.raises(Forbidden):
        policy.access_organisation(lao_user, tree.school1.code, "confirm_own")


def test_an_admin_grant_on_a_second_lao_covers_its_subtree(tree):
    from django.contrib.auth.models import Permission

    from accounts.models import OrganisationUserObjectPermission

    user = tree.users["lao1"]
    assert not policy.can(user, "view_subtree", tree.school3)
    perm = Permission.objects.get(codename="view_subtree", content_type__app_label="schools")
    OrganisationUserObjectPermission.objects.create(user=user, permission=perm, content_object=tree.lao2)
    policy.forget(user)
    assert policy.can(user, "view_subtree", tree.school3)
    assert not policy.can(user, "confirm_own", tree.lao2)


def test_inactive_user_may_do_nothing(tree):
    user = tree.users["school1"]
    user.is_active = False
    policy.forget(user)
    assert not policy.can(user, "view_subtree", tree.school1)


@pytest.mark.parametrize("action", ["manage_rounds", "manage_organisations", "manage_users"])
def test_national_actions_belong_to_the_department_only(tree, action):
    assert policy.can_nationally(tree.users["dept"], action)
    for role in ("p1", "lao1", "school1", "cdc1"):
        assert not policy.can_nationally(tree.users[role], action)
    assert not policy.can_nationally(AnonymousUser(), action)


# Written for mutation testing (docs/testing.md "Mutation testing"): the superuser, a missing user or
# organisation, a user without grants, grants on two subtrees, and access through a narrowed queryset.
def test_an_active_superuser_may_do_everything_everywhere(tree):
    from schools.models import Organisation
    from tests.factories import UserFactory

    root = UserFactory(username="root", is_superuser=True)
    assert all(
        policy.can(root, action, org) for action in ACTIONS for org in (tree.p2, tree.school4, tree.dept)
    )
    assert policy.visible_organisations(root).count() == 14
    assert Organisation.objects.filter(policy.visibility_q(root)).count() == 14
    assert policy.granted_actions(root) == list(ACTIONS)
    assert policy.actions_on(root, None) == list(ACTIONS)
    assert policy.actions_on(root, tree.cdc2) == list(ACTIONS)
    assert policy.can_nationally(root, "manage_users") is True
    assert policy.access_organisation(root, tree.school4.code, "unlock_children") == tree.school4
    root.is_active = False
    policy.forget(root)
    assert not policy.can(root, "view_subtree", tree.school4)
    assert not policy.visible_organisations(root).exists()
    assert policy.granted_actions(root) == [] and policy.actions_on(root, None) == []


def test_no_user_or_no_organisation_may_do_nothing(tree):
    user = tree.users["dept"]
    assert policy.can(None, "view_subtree", tree.school1) is False
    assert policy.can(user, "view_subtree", None) is False
    assert policy.can(user, "confirm_own", None) is False
    assert not policy.visible_organisations(None).exists()
    with pytest.raises(ValueError, match="unknown action 'fly'"):
        policy.can(user, "fly", tree.school1)


def test_a_user_without_grants_sees_nothing(tree):
    from schools.models import Organisation
    from tests.factories import UserFactory

    nobody = UserFactory(username="nobody")
    assert not Organisation.objects.filter(policy.visibility_q(nobody)).exists()
    assert not policy.visible_organisations(nobody).exists()
    assert policy.granted_actions(nobody) == [] and policy.actions_on(nobody, tree.school1) == []


def test_grants_on_two_subtrees_show_both(tree):
    from django.contrib.auth.models import Permission

    from accounts.models import OrganisationUserObjectPermission

    user = tree.users["lao1"]
    perm = Permission.objects.get(codename="view_subtree", content_type__app_label="schools")
    OrganisationUserObjectPermission.objects.create(user=user, permission=perm, content_object=tree.lao2)
    policy.forget(user)
    codes = set(policy.visible_organisations(user).values_list("code", flat=True))
    assert codes == {
        tree.lao1.code, tree.school1.code, tree.school2.code, tree.cdc1.code, tree.other1.code,
        tree.lao2.code, tree.school3.code, tree.other2.code,
    }  # fmt: skip


def test_access_with_an_action_allowed_returns_the_organisation(tree):
    from schools.models import Organisation

    school_user = tree.users["school1"]
    assert policy.access_organisation(school_user, tree.school1.code, "confirm_own") == tree.school1
    assert (
        policy.access_organisation(tree.users["lao1"], tree.school1.code, "unlock_children") == tree.school1
    )
    narrowed = Organisation.objects.exclude(pk=tree.school1.pk)
    with pytest.raises(NotFound):
        policy.access_organisation(school_user, tree.school1.code, queryset=narrowed)


def test_actions_on_and_full_identity_for_a_school(tree):
    user = tree.users["school1"]
    assert policy.actions_on(user, tree.school1) == [
        "view_subtree", "edit_learners", "import_learners", "approve_transfers", "confirm_own", "request_unlock",
        "export_learners", "view_full_identity",
    ]  # fmt: skip
    assert policy.actions_on(user, tree.school2) == []
    assert policy.actions_on(user, None) == []
    assert policy.sees_full_identity(user, tree.school1) is True
    assert policy.sees_full_identity(user, tree.school2) is False


def test_access_keeps_the_users_own_organisation_loaded_but_never_a_child_or_over_one_loaded(
    tree, django_assert_num_queries
):
    from accounts.models import User

    user = User.objects.get(pk=tree.users["school1"].pk)
    own = policy.access_organisation(user, tree.school1.code)
    with django_assert_num_queries(0):
        assert user.organisation is own
    lao_user = User.objects.get(pk=tree.users["lao1"].pk)
    child = policy.access_organisation(lao_user, tree.school1.code)
    with django_assert_num_queries(1):
        assert lao_user.organisation.code == tree.lao1.code and lao_user.organisation is not child
    loaded = lao_user.organisation
    assert policy.access_organisation(lao_user, tree.lao1.code) is not loaded
    assert lao_user.organisation is loaded  # the row already in hand stays


def test_access_through_a_queryset_finds_the_code_in_it(tree):
    from schools.models import Organisation

    schools = Organisation.objects.filter(kind="school")
    user = tree.users["lao1"]
    assert policy.access_organisation(user, tree.school1.code, queryset=schools) == tree.school1
    with pytest.raises(NotFound):
        policy.access_organisation(user, tree.cdc1.code, queryset=schools)


def test_forget_drops_the_actions_worked_out_from_the_grants_too(tree):
    from django.contrib.auth.models import Permission

    from accounts.models import OrganisationUserObjectPermission

    user = tree.users["lao1"]
    assert policy.actions_on(user, tree.lao2) == []
    perm = Permission.objects.get(codename="view_subtree", content_type__app_label="schools")
    OrganisationUserObjectPermission.objects.create(user=user, permission=perm, content_object=tree.lao2)
    policy.forget(user)
    assert policy.actions_on(user, tree.lao2) == ["view_subtree"]
