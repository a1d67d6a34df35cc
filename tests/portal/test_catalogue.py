"""The catalogue's search and each e-service's start page with its GDPR text (F-POR-1, F-ES-6)."""

from __future__ import annotations

from shared.db import db
from tests import factories
from tests.portal.test_portal import visible_text


def _eservices():
    factories.eservice(
        "Skolskjuts – ansökan",
        slug="skolskjuts",
        description="Ansök om skolskjuts för ditt barn.",
        gdpr_categories=["namn", "personnummer", "adress"],
        gdpr_extra_categories="Uppgifter om elevens hälsa",
        gdpr_legal_bases=["public_interest", "official_authority"],
        gdpr_retention="Gallras två år efter beslut.",
        controller_name="Barn- och utbildningsnämnden",
        controller_email="bun@exempelby.se",
    )
    factories.eservice(
        "Larmavtal",
        slug="larmavtal",
        description="Avtal om larmöverföring.",
        gdpr_purpose="Uppgifterna behövs för att larmcentralen ska kunna larma rätt.",
        complaint_text="Klagomål lämnas till räddningsnämnden.",
    )
    factories.eservice("Gammal e-tjänst", slug="gammal", enabled=False)
    db.session.commit()


def test_search_finds_eservices_by_name_and_description(portal, client):
    _eservices()
    text = visible_text(client.get("/?q=skolskjuts").get_data(as_text=True))
    assert "Skolskjuts – ansökan" in text
    assert "Larmavtal" not in text
    text = visible_text(client.get("/?q=larmöverföring").get_data(as_text=True))
    assert "Larmavtal" in text and "Skolskjuts – ansökan" not in text
    text = visible_text(client.get("/?q=bygglov").get_data(as_text=True))
    assert "Ingen e-tjänst matchar din sökning." in text


def test_start_page_links_to_each_eservice(portal, client):
    _eservices()
    html = client.get("/").get_data(as_text=True)
    assert 'href="/e-tjanster/skolskjuts"' in html
    assert "/e-tjanster/gammal" not in html


def test_eservice_page_shows_the_gdpr_text_before_starting(portal, client):
    _eservices()
    response = client.get("/e-tjanster/skolskjuts")
    assert response.status_code == 200
    text = visible_text(response.get_data(as_text=True))
    assert "Behandling av personuppgifter" in text
    for expected in (
        "Namn",
        "Personnummer",
        "Adress",
        "Uppgifter om elevens hälsa",
        "En arbetsuppgift av allmänt intresse ska kunna utföras",
        "En arbetsuppgift i samband med myndighetsutövning ska kunna utföras",
        "Gallras två år efter beslut.",
        "Barn- och utbildningsnämnden",
        "bun@exempelby.se",
        "Integritetsskyddsmyndigheten",
    ):
        assert expected in text, expected
    # The standard purpose text when the builder wrote none.
    assert "Vid handläggningen av ditt ärende registreras och behandlas" in text


def test_eservice_page_uses_the_builders_own_texts(portal, client):
    _eservices()
    text = visible_text(client.get("/e-tjanster/larmavtal").get_data(as_text=True))
    assert "Uppgifterna behövs för att larmcentralen ska kunna larma rätt." in text
    assert "Klagomål lämnas till räddningsnämnden." in text
    assert "Vid handläggningen av ditt ärende" not in text


def test_disabled_or_unknown_eservice_is_not_found(portal, client):
    _eservices()
    assert client.get("/e-tjanster/gammal").status_code == 404
    assert client.get("/e-tjanster/finns-inte").status_code == 404
