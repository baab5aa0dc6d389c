import pytest

from mtp.accounts.models import User

pytestmark = pytest.mark.django_db

GOOD = {
    "username": "newcomer",
    "email": "newcomer@example.org",
    "password1": "a long enough passphrase",
    "password2": "a long enough passphrase",
}


def test_signing_up_creates_the_account_and_logs_in(client):
    response = client.post("/accounts/signup/", GOOD)
    assert response.status_code == 302
    user = User.objects.get(username="newcomer")
    assert user.email == "newcomer@example.org"
    assert client.get("/accounts/settings/").status_code == 200


def test_sign_up_returns_to_a_local_next_page_only(client):
    response = client.post("/accounts/signup/", {**GOOD, "next": "https://evil.example/steal"})
    assert response["Location"] == "/"
    client.logout()
    response = client.post(
        "/accounts/signup/",
        {**GOOD, "username": "second", "email": "s@example.org", "next": "/accounts/settings/"},
    )
    assert response["Location"] == "/accounts/settings/"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"password1": "123", "password2": "123"}, "too short"),
        ({"password1": "password", "password2": "password"}, "too common"),
        ({"password2": "something else"}, "didn’t match"),
        ({"email": "not-an-email"}, "valid email"),
        ({"username": "bad name!"}, "Enter a valid username"),
    ],
)
def test_sign_up_refuses_bad_input_with_a_reason_and_creates_nothing(client, change, message):
    response = client.post("/accounts/signup/", {**GOOD, **change})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(username=GOOD["username"]).exists()


def test_sign_up_refuses_a_taken_username_or_email_whatever_the_case(client, owner):
    response = client.post("/accounts/signup/", {**GOOD, "username": "OLIVIA"})
    assert "That username is taken." in response.content.decode()
    response = client.post("/accounts/signup/", {**GOOD, "email": "OLIVIA@example.org"})
    assert "already exists" in response.content.decode()
    assert User.objects.count() == 1


def test_the_sign_up_form_needs_a_csrf_token(owner):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/accounts/signup/", GOOD).status_code == 403


def test_many_sign_ups_from_one_address_are_paused_and_create_nothing(settings):
    from django.test import Client

    settings.SIGNUP_RATE_LIMIT = 2
    farm = Client(REMOTE_ADDR="203.0.113.9")
    for index in range(2):
        farm.post(
            "/accounts/signup/",
            {**GOOD, "username": f"bot{index}", "email": f"bot{index}@example.org"},
        )
        farm.logout()
    response = farm.post(
        "/accounts/signup/", {**GOOD, "username": "bot2", "email": "b2@example.org"}
    )
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert not User.objects.filter(username="bot2").exists()
    assert User.objects.filter(username__startswith="bot").count() == 2
    # Someone else is not held back.
    other = Client(REMOTE_ADDR="203.0.113.10")
    assert other.post("/accounts/signup/", GOOD).status_code == 302


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("\u3164", "needs visible characters"),
        ("\u3164\u3164\u3164", "needs visible characters"),
        ("dana\u202eevil", "reverse the text"),
    ],
)
def test_usernames_that_show_nothing_or_reverse_text_are_refused(client, username, message):
    response = client.post("/accounts/signup/", {**GOOD, "username": username})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(email=GOOD["email"]).exists()


@pytest.mark.parametrize(
    "username",
    [
        "\u043elivia",  # Cyrillic о
        "oliv\u0456a",  # Cyrillic і
        "\u03bflivia",  # Greek ο
        "OL\u0399VIA",  # Greek Ι
        "o\u04cfivia",  # Cyrillic palochka
    ],
)
def test_mixed_script_look_alikes_of_an_existing_username_are_refused(client, owner, username):
    response = client.post("/accounts/signup/", {**GOOD, "username": username})
    assert response.status_code == 200
    assert "looks like someone else" in response.content.decode()
    assert not User.objects.filter(email=GOOD["email"]).exists()


def test_the_existing_username_may_be_the_look_alike(client):
    User.objects.create_user("\u043elivia", "cyrillic@example.org", "x")
    response = client.post("/accounts/signup/", {**GOOD, "username": "olivia"})
    assert "looks like someone else" in response.content.decode()
    assert User.objects.get(username="\u043elivia").username_skeleton == "olivia"
