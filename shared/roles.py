"""The back-office roles (Flask-AppBuilder roles) the domain knows by name."""

ADMIN = "Admin"
BUILDER = "Builder"
HANDLER = "Handler"

ALL = (ADMIN, BUILDER, HANDLER)
