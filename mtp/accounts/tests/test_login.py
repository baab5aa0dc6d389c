import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


def test_logging_in_with_the_standard_fields_opens_a_session(client, owner):
    response = client.post("/accounts/login/", {"username": "olivia", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/accounts/settings/").status_code == 200


def test_a_wrong_password_shows_the_form_again_without_saying_which_part_was_wrong(client, owner):
    response = client.post("/accounts/login/", {"username": "olivia", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_logging_in_returns_to_the_next_page(client, owner):
    response = client.post(
        "/accounts/login/",
        {"username": "olivia", "password": PASSWORD, "next": "/accounts/settings/"},
    )
    assert response["Location"] == "/accounts/settings/"


def test_log_out_needs_a_post(client, owner):
    client.force_login(owner)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/accounts/settings/").status_code == 302


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_repeated_failures_for_one_account_pause_its_log_in_even_from_other_addresses(owner):
    for index in range(3):
        Client(REMOTE_ADDR=f"10.0.0.{index}").post(
            "/accounts/login/", {"username": "olivia", "password": "x"}
        )
    response = Client(REMOTE_ADDR="10.0.0.99").post(
        "/accounts/login/", {"username": "olivia", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in Client().session


SPELLINGS = [" olivia", "olivia ", "\uff4f\uff4c\uff49\uff56\uff49\uff41", "OLIVIA", "Olivia\t"]


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_every_spelling_of_an_account_shares_its_failure_count(owner):
    # The form takes these for olivia (it strips spaces and normalises NFKC: ｏｌｉｖｉａ).
    assert (
        Client()
        .post(
            "/accounts/login/",
            {"username": "\uff4f\uff4c\uff49\uff56\uff49\uff41 ", "password": PASSWORD},
        )
        .status_code
        == 302
    )
    for index in range(3):
        Client(REMOTE_ADDR=f"10.0.1.{index}").post(
            "/accounts/login/", {"username": "olivia", "password": "x"}
        )
    for index, spelling in enumerate(["olivia", *SPELLINGS]):
        response = Client(REMOTE_ADDR=f"10.0.2.{index}").post(
            "/accounts/login/", {"username": spelling, "password": PASSWORD}
        )
        assert response.status_code == 429, spelling


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_failures_under_other_spellings_count_against_the_account(owner):
    for index, spelling in enumerate(SPELLINGS[:3]):
        Client(REMOTE_ADDR=f"10.0.3.{index}").post(
            "/accounts/login/", {"username": spelling, "password": "x"}
        )
    response = Client(REMOTE_ADDR="10.0.3.99").post(
        "/accounts/login/", {"username": "olivia", "password": PASSWORD}
    )
    assert response.status_code == 429


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_repeated_failures_from_one_address_pause_log_in_for_every_account(owner, other_user):
    attacker = Client(REMOTE_ADDR="192.0.2.7")
    for name in ("a", "b", "c"):
        attacker.post("/accounts/login/", {"username": name, "password": "x"})
    response = attacker.post(
        "/accounts/login/", {"username": "oscar", "password": "another horse battery"}
    )
    assert response.status_code == 429
    other = Client(REMOTE_ADDR="192.0.2.8")
    assert (
        other.post(
            "/accounts/login/", {"username": "oscar", "password": "another horse battery"}
        ).status_code
        == 302
    )


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_a_successful_log_in_clears_the_account_failures(owner):
    client = Client(REMOTE_ADDR="198.51.100.1")
    for _ in range(2):
        client.post("/accounts/login/", {"username": "olivia", "password": "x"})
    assert (
        client.post("/accounts/login/", {"username": "olivia", "password": PASSWORD}).status_code
        == 302
    )
    client.logout()
    other = Client(REMOTE_ADDR="198.51.100.2")
    for _ in range(2):
        other.post("/accounts/login/", {"username": "olivia", "password": "x"})
    assert (
        other.post("/accounts/login/", {"username": "olivia", "password": PASSWORD}).status_code
        == 302
    )


@override_settings(LOGIN_FAILURE_LIMIT=2, MTP_PROXY_COUNT=1)
def test_behind_one_proxy_the_forwarded_address_is_the_one_counted(owner):
    for _ in range(2):
        Client(REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="203.0.113.5").post(
            "/accounts/login/", {"username": "nobody", "password": "x"}
        )
    blocked = Client(REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert (
        blocked.post("/accounts/login/", {"username": "olivia", "password": PASSWORD}).status_code
        == 429
    )
    # Same proxy, another client behind it.
    fine = Client(REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="203.0.113.6")
    assert (
        fine.post("/accounts/login/", {"username": "olivia", "password": PASSWORD}).status_code
        == 302
    )
