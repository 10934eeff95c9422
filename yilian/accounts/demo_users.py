"""Demo users, one per role, so that every home page can be tried. Illustrative only."""

from django.contrib.auth import get_user_model

from yilian.network.models import Institution, Region

from .models import Membership

DEMO_PASSWORD = "yilian-demo-2026"  # noqa: S105 — printed on screen; demo databases only

# username, full name, role, scope name (region for supervisors, institution otherwise)
DEMO_USERS = [
    ("gy_supervisor", "贵阳市卫健局 督导员", Membership.Role.SUPERVISOR, "贵阳市"),
    ("wd_supervisor", "乌当区卫健局 督导员", Membership.Role.SUPERVISOR, "乌当区"),
    ("sy1_coordinator", "市一医 联络员", Membership.Role.COORDINATOR, "贵阳市第一人民医院"),
    ("sy2_coordinator", "市二医 联络员", Membership.Role.COORDINATOR, "贵阳市第二人民医院"),
    ("xintian_staff", "新天社区卫生服务中心 工作人员", Membership.Role.CLINIC_STAFF, "新天社区卫生服务中心"),
    ("sy1_doctor", "市一医 下派医生", Membership.Role.DOCTOR, "贵阳市第一人民医院"),
]


def create_demo_users():
    User = get_user_model()
    admin, created = User.objects.get_or_create(
        username="admin", defaults={"is_staff": True, "is_superuser": True, "first_name": "系统管理员"}
    )
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save()
    for username, full_name, role, scope_name in DEMO_USERS:
        user, created = User.objects.get_or_create(username=username, defaults={"first_name": full_name})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        scope = (
            {"region": Region.objects.get(name=scope_name)}
            if role == Membership.Role.SUPERVISOR
            else {"institution": Institution.objects.get(name=scope_name)}
        )
        Membership.objects.get_or_create(user=user, role=role, **scope)
    return [("admin", "系统管理员", "admin", "—"), *DEMO_USERS]
