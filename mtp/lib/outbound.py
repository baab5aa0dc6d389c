"""Where this server may connect on someone's behalf: https to public Internet addresses only.

A URL a person gives (a webhook's receiver, a collection to transfer from another instance)
makes this server send requests for them, so it must not become a way into the server's own
network (SSRF). A URL is checked before each use, since what a name resolves to may change:

- https, without a user name or password; plain http only to the loopback interface and only
  when the policy allows http (development, tests);
- every address the host name resolves to is a public one: no private, loopback, link-local,
  carrier-grade NAT, multicast or reserved address, nor an IPv6 address that carries one
  (IPv4-mapped or -compatible, NAT64, 6to4, Teredo) or is site-local, unless the policy allows
  private addresses (for an operator's own network).

A request connects to an address checked here (``Target.addresses``), never to a second
lookup of the name; ``get`` does so for plain downloads, redirects checked hop by hop.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx


@dataclass(frozen=True)
class Policy:
    """What a kind of URL may reach: ``what`` names it in refusals ("A webhook URL")."""

    what: str
    allow_http: bool = False
    allow_private: bool = False


MAX_URL_LENGTH = 500
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
# Addresses tried, in the resolver's order, when connecting to one fails.
MAX_ADDRESSES = 3


class UnsafeTarget(Exception):
    """A URL this server will not connect to; ``message`` says why, for the person who gave it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Target:
    """A checked URL and the addresses a request to it may connect to."""

    scheme: str
    host: str  # the host name, ASCII (IDNA), lower case; an IPv6 address without brackets
    port: int
    path: str  # path and query, at least "/"
    addresses: tuple[str, ...]

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"

    def url_for(self, address: str) -> str:
        """The URL with ``address`` in place of the host name (the Host header keeps the name)."""
        host = f"[{address}]" if ":" in address else address
        return f"{self.scheme}://{host}:{self.port}{self.path}"


def _split(url: str, policy: Policy) -> tuple[str, str, int, str]:
    """Scheme, host, port and path of ``url`` after the checks that need no lookup."""
    if not url or len(url) > MAX_URL_LENGTH:
        raise UnsafeTarget(f"{policy.what} is 1 to {MAX_URL_LENGTH} characters.")
    if any(character.isspace() or ord(character) < 32 for character in url):
        raise UnsafeTarget(f"{policy.what} cannot contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeTarget("This is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeTarget(f"{policy.what} must use https.")
    if "@" in parts.netloc:
        raise UnsafeTarget(f"{policy.what} cannot carry a user name or password.")
    if parts.fragment:
        raise UnsafeTarget(f"{policy.what} cannot have a fragment (#...).")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeTarget(f"{policy.what} needs a host name.")
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise UnsafeTarget("The host name of this URL is not valid.") from None
    if scheme == "http" and not (policy.allow_http and host in LOOPBACK_HOSTS):
        raise UnsafeTarget(f"{policy.what} must use https.")
    if port == 0:
        raise UnsafeTarget("Port 0 is not a port a server listens on.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return scheme, host, port or (443 if scheme == "https" else 80), path


# IPv6 ranges whose last 32 bits are the IPv4 address a packet reaches: NAT64 (RFC 6052),
# IPv4-translated (RFC 2765) and the deprecated IPv4-compatible addresses (RFC 4291), ::7f00:1.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def reached(ip: ipaddress.IPv4Address | ipaddress.IPv6Address):
    """The address a packet to ``ip`` reaches: the IPv4 address an IPv6 address carries
    (IPv4-mapped, NAT64, IPv4-translated, IPv4-compatible, 6to4, Teredo's client), else ``ip``."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return ip
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    # :: and ::1 are the IPv6 unspecified and loopback addresses, not IPv4-compatible ones.
    if ip in NAT64 or ip in IPV4_TRANSLATED or (ip in IPV4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def _address_problem(address: str, *, loopback_allowed: bool, allow_private: bool) -> str | None:
    ip = reached(ipaddress.ip_address(address.split("%", 1)[0]))
    if ip.is_unspecified or ip.is_multicast:
        return "is not an address a server can have"
    if ip.is_loopback and loopback_allowed:
        return None
    # Site-local IPv6 (fec0::/10) is deprecated, but still a private network where used.
    if ip.is_global and not (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local):
        return None
    if allow_private:
        return None
    return "is a private, loopback or reserved address"


def resolve(url: str, policy: Policy) -> Target:
    """Check ``url`` and look its host up; ``UnsafeTarget`` when ``policy`` does not let this
    server connect to it."""
    scheme, host, port, path = _split(url, policy)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeTarget(f"The host name {host} could not be resolved.") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise UnsafeTarget(f"The host name {host} could not be resolved.")
    # http is allowed to the loopback interface only (see _split), so loopback is what it reaches.
    loopback_allowed = scheme == "http"
    for address in addresses:
        problem = _address_problem(
            address, loopback_allowed=loopback_allowed, allow_private=policy.allow_private
        )
        if problem:
            raise UnsafeTarget(f"{host} resolves to {address}, which {problem}.")
    return Target(scheme, host, port, path, tuple(addresses[:MAX_ADDRESSES]))


class TooLarge(Exception):
    """A reply longer than the caller takes."""


MAX_REDIRECTS = 3


def get(
    url: str,
    policy: Policy,
    *,
    max_bytes: int,
    timeout: float,
    accept: str = "*/*",
    user_agent: str = "MapThePaths/1",
) -> httpx.Response:
    """GET ``url`` at an address ``policy`` allows, following up to ``MAX_REDIRECTS``
    redirects, each checked as the first; the reply's body read (``content``) up to
    ``max_bytes``. Raises ``UnsafeTarget``, ``TooLarge`` or ``httpx.HTTPError``."""
    for _ in range(MAX_REDIRECTS + 1):
        target = resolve(url, policy)
        reply = _get_once(
            target, max_bytes=max_bytes, timeout=timeout, accept=accept, agent=user_agent
        )
        if reply.is_redirect and reply.headers.get("Location"):
            url = str(httpx.URL(url).join(reply.headers["Location"]))
            continue
        return reply
    raise UnsafeTarget(f"{policy.what} redirects more than {MAX_REDIRECTS} times.")


def _get_once(
    target: Target, *, max_bytes: int, timeout: float, accept: str, agent: str
) -> httpx.Response:
    headers = {
        "Host": target.host_header,
        "Accept": accept,
        # What is read is counted as it arrives: compressed, it could be anything once inflated.
        "Accept-Encoding": "identity",
        "User-Agent": agent,
    }
    # The certificate is checked against the host name while the connection goes to the
    # address that was checked, so a second DNS answer cannot redirect it.
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    limits = httpx.Timeout(timeout, connect=min(10.0, timeout))
    # No proxies from the environment: they would connect to the name, not the address.
    with httpx.Client(timeout=limits, follow_redirects=False, trust_env=False) as client:
        for index, address in enumerate(target.addresses):
            request = client.build_request(
                "GET", target.url_for(address), headers=headers, extensions=extensions
            )
            try:
                response = client.send(request, stream=True)
            except httpx.ConnectError:
                if index + 1 < len(target.addresses):
                    continue  # another address of the same name may answer
                raise
            try:
                data = bytearray()
                for chunk in response.iter_raw():
                    data += chunk
                    if len(data) > max_bytes:
                        raise TooLarge(f"over {max_bytes} bytes")
            finally:
                response.close()
            return httpx.Response(
                response.status_code, headers=response.headers, content=bytes(data), request=request
            )
    raise httpx.ConnectError("no address answered")  # not reached: the loop returns or raises
