"""Citizen login: the development test login now, e-ID (OpenID Connect) later (F-POR-2)."""
