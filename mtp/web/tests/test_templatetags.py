from datetime import UTC, datetime, timedelta

from django.contrib.auth.forms import PasswordChangeForm

from mtp.accounts.models import User
from mtp.web.templatetags.web import distance, duration, without_autofocus


def test_distances_read_in_metres_then_kilometres():
    assert distance(0) == "0 m"
    assert distance(None) == "0 m"
    assert distance(849.6) == "850 m"
    assert distance(1000) == "1.0 km"
    assert distance(12_345) == "12.3 km"
    assert distance(1_234_567) == "1,235 km"


def test_durations_read_in_minutes_hours_or_days():
    start = datetime(2024, 5, 3, 7, 30, tzinfo=UTC)
    assert duration(start, start + timedelta(seconds=40)) == "1 min"
    assert duration(start, start + timedelta(minutes=59)) == "59 min"
    assert duration(start, start + timedelta(hours=2, minutes=5)) == "2 h 5 min"
    assert duration(start, start + timedelta(hours=3)) == "3 h"
    assert duration(start, start + timedelta(days=3)) == "3 days"
    assert duration(None, start) == ""


def test_a_field_can_drop_its_autofocus():
    field = PasswordChangeForm(User(username="olivia"))["old_password"]
    assert "autofocus" in str(field)
    html = without_autofocus(field)
    assert "autofocus" not in html and 'name="old_password"' in html
