"""RFC 8414 metadata at /.well-known/oauth-authorization-server."""

from django.test import Client


def test_the_metadata_advertises_every_endpoint_the_response_types_and_s256(db):
    response = Client().get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    data = response.json()
    base = "http://testserver"
    assert data["issuer"] == base
    assert data["authorization_endpoint"] == f"{base}/api/v1/authorize"
    assert data["token_endpoint"] == f"{base}/api/v1/token"
    assert data["revocation_endpoint"] == f"{base}/api/v1/revoke"
    assert data["introspection_endpoint"] == f"{base}/api/v1/introspect"
    assert data["device_authorization_endpoint"] == f"{base}/api/v1/device_authorization"
    assert data["response_types_supported"] == ["code", "token"]
    assert data["code_challenge_methods_supported"] == ["S256"]
    assert set(data["grant_types_supported"]) == {
        "authorization_code",
        "implicit",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:device_code",
    }
    assert "none" in data["token_endpoint_auth_methods_supported"]
    assert "none" not in data["introspection_endpoint_auth_methods_supported"]
    assert set(data["scopes_supported"]) == {"read", "write"}
