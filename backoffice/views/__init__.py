"""The back office's screens: one module per screen family; ``registry`` adds them all."""
