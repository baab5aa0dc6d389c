"""The Mapillary Graph API v4 client (see ``mtp.mapillary.client``)."""
