"""Request and response schemas of API v1."""

from ninja import Schema


class MeOut(Schema):
    username: str
    display_name: str
    profile_url: str
