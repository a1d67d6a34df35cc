"""Mina sidor: the citizen's drafts and cases (F-POR-4)."""
