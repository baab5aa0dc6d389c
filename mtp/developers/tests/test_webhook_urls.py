"""Where webhooks may go: https to public addresses; plain http and private ones only if allowed."""

from ipaddress import ip_address
from urllib.parse import urlsplit

import pytest

from mtp.developers.webhook_urls import UnsafeTarget, reached, resolve


@pytest.fixture
def production(settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    settings.WEBHOOK_ALLOW_PRIVATE = False


def problem(url: str) -> str:
    with pytest.raises(UnsafeTarget) as caught:
        resolve(url)
    return caught.value.message


def test_an_https_url_at_a_public_address_is_accepted(production):
    target = resolve("https://1.1.1.1/hooks/mtp?app=7")
    assert target.addresses == ("1.1.1.1",)
    assert (target.scheme, target.host, target.port, target.path) == (
        "https",
        "1.1.1.1",
        443,
        "/hooks/mtp?app=7",
    )
    assert target.host_header == "1.1.1.1"


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://172.16.0.1/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://100.64.0.1/hook",
        "https://[::1]/hook",
        "https://[fe80::1]/hook",
        "https://[fd00::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://2130706433/hook",
        "https://0x7f.1/hook",
        "https://localhost/hook",
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused(production, url):
    assert "private, loopback or reserved" in problem(url)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # IPv4-compatible (deprecated): ::127.0.0.1
        ("https://[::7f00:1]/hook", "127.0.0.1"),
        ("https://[::a00:1]/hook", "10.0.0.1"),
        # NAT64 (RFC 6052) and IPv4-translated (RFC 2765)
        ("https://[64:ff9b::7f00:1]/hook", "127.0.0.1"),
        ("https://[64:ff9b::a9fe:a9fe]/latest/meta-data/", "169.254.169.254"),
        ("https://[::ffff:0:7f00:1]/hook", "127.0.0.1"),
        ("https://[::ffff:0:c0a8:101]/hook", "192.168.1.1"),
        # 6to4 and Teredo (the client address, stored inverted)
        ("https://[2002:7f00:1::1]/hook", "127.0.0.1"),
        ("https://[2002:a00:1::1]/hook", "10.0.0.1"),
        ("https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook", "127.0.0.1"),
    ],
)
def test_ipv6_addresses_carrying_a_private_ipv4_address_are_refused(production, url, expected):
    assert "private, loopback or reserved" in problem(url)
    assert address_reached(url) == expected


def address_reached(url: str) -> str:
    return str(reached(ip_address(urlsplit(url).hostname)))


def test_deprecated_site_local_ipv6_addresses_are_refused(production):
    assert "private, loopback or reserved" in problem("https://[fec0::1]/hook")


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("https://[64:ff9b::101:101]/hook", "64:ff9b::101:101"),
        ("https://[2002:101:101::1]/hook", "2002:101:101::1"),
    ],
)
def test_ipv6_addresses_carrying_a_public_ipv4_address_are_checked_by_it(production, url, address):
    assert resolve(url).addresses == (address,)


@pytest.mark.parametrize("url", ["https://0.0.0.0/hook", "https://224.0.0.1/hook"])
def test_unspecified_and_multicast_addresses_are_refused_even_when_private_ones_are_allowed(
    production, settings, url
):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    assert "not an address a server can have" in problem(url)


def test_private_addresses_are_accepted_when_the_operator_allows_them(production, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    assert resolve("https://10.1.2.3:8443/hook").addresses == ("10.1.2.3",)


@pytest.mark.parametrize(
    "url",
    ["http://1.1.1.1/hook", "http://127.0.0.1:8000/hook", "ftp://1.1.1.1/", "file:///etc/passwd"],
)
def test_only_https_is_accepted_in_production(production, url):
    assert problem(url) == "A webhook URL must use https."


def test_plain_http_is_accepted_only_to_the_loopback_interface_when_allowed(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    target = resolve("http://127.0.0.1:8123/hooks")
    assert target.url_for(target.addresses[0]) == "http://127.0.0.1:8123/hooks"
    assert target.host_header == "127.0.0.1:8123"
    assert resolve("http://[::1]:8123/hooks").host_header == "[::1]:8123"
    assert problem("http://1.1.1.1/hook") == "A webhook URL must use https."


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://user:pass@1.1.1.1/hook", "user name or password"),
        ("https://1.1.1.1/hook#part", "fragment"),
        ("https:///hook", "needs a host name"),
        ("https://1.1.1.1:0/hook", "Port 0"),
        ("https://1.1.1.1:99999/hook", "not a valid URL"),
        ("https://1.1.1.1/ho ok", "spaces"),
        ("https://1.1.1.1/" + "a" * 500, "1 to 500 characters"),
        ("", "1 to 500 characters"),
        ("https://mtp-webhooks-test.invalid/hook", "could not be resolved"),
    ],
)
def test_malformed_urls_are_refused_with_a_reason(production, url, message):
    assert message in problem(url)


def test_the_connection_goes_to_the_checked_address_and_keeps_the_name_in_the_host_header(
    settings,
):
    settings.WEBHOOK_ALLOW_HTTP = True
    target = resolve("http://localhost:8123/a?b=c")
    assert set(target.addresses) <= {"127.0.0.1", "::1"}
    assert target.host_header == "localhost:8123"
    assert target.url_for("127.0.0.1") == "http://127.0.0.1:8123/a?b=c"
    assert target.url_for("::1") == "http://[::1]:8123/a?b=c"
