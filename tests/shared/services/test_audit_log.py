"""Reading the audit log (shared/services/audit_log.py): administrators only, ids named."""

from __future__ import annotations

import pytest

from shared.errors import NotAllowed
from shared.services import audit_log, cases
from tests import factories


def test_only_an_administrator_may_read_the_log(ctx):
    world = factories.world()
    with pytest.raises(NotAllowed):
        audit_log.audit_page(actor=world.hanna)
    assert audit_log.audit_page(actor=world.admin).entries == []


def test_a_change_of_handlers_and_status_is_told_with_names(ctx):
    world = factories.world()
    case = factories.case(world.eservice, citizen=world.citizen, users=[world.hanna])
    cases.assign_case(case.id, actor=world.hanna, user_ids=[world.olle.id], group_ids=[world.group.id])
    cases.change_status(case.id, factories.status(world.eservice, "Klart").id, actor=world.olle)
    page = audit_log.audit_page(actor=world.admin, case_number=case.number)
    status_change, handlers_change = page.entries
    assert page.details_named(status_change)["from"] == "Inskickat"
    assert page.details_named(status_change)["to"] == "Klart"
    named = page.details_named(handlers_change)
    assert named["added_users"] == ["Olle Ek"] and named["added_groups"] == ["Skolskjutsgruppen"]
    assert named["removed_users"] == ["Hanna Berg"]
    assert [e.username for e in audit_log.audit_page(actor=world.admin, username="olle").entries] == ["olle"]
