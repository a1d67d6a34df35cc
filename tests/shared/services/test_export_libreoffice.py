"""The export opens in LibreOffice: a small export converted to CSV by ``libreoffice --headless`` (F-EXP-1)."""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import subprocess

import pytest

from shared.db import db
from shared.services import export
from tests import factories

LIBREOFFICE = shutil.which("libreoffice") or shutil.which("soffice")

DEFINITION = {
    "steps": [
        {
            "id": "elev",
            "title": "Elev",
            "questions": [
                {"id": "namn", "type": "text", "label": "Elevens namn"},
                {"id": "start", "type": "date", "label": "Startdatum"},
                {"id": "avstand", "type": "number", "label": "Avstånd (km)"},
                {
                    "id": "kost",
                    "type": "multiple_choice",
                    "label": "Kost",
                    "options": [{"value": "gluten", "label": "Glutenfri"}, {"value": "laktos", "label": "Laktosfri"}],
                },
            ],
        }
    ]
}


@pytest.mark.skipif(not LIBREOFFICE and not os.environ.get("CI"), reason="LibreOffice is not installed")
def test_libreoffice_reads_the_export(world, tmp_path):
    assert LIBREOFFICE, "LibreOffice is needed (libreoffice-calc-nogui)"
    world.eservice.versions[0].definition = DEFINITION
    factories.case(
        world.eservice,
        number=4711,
        applicant_name="Maria Öljung",
        users=[world.hanna],
        submitted_at=dt.datetime(2026, 3, 2, 8, 30),
        answers={"namn": "Åsa Öberg", "start": "2026-08-17", "avstand": 4.5, "kost": ["gluten", "laktos"]},
    )
    db.session.commit()
    started = export.start_export(
        export.ExportCriteria(world.eservice.id, (world.eservice.versions[0].id,)), actor=world.hanna
    )
    source = tmp_path / "export.xlsx"
    source.write_bytes(started.file.read())
    out = tmp_path / "out"
    # A profile of its own, so that parallel runs (and a desktop LibreOffice) never share one.
    profile = (tmp_path / "profile").as_uri()
    subprocess.run(
        [
            LIBREOFFICE,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1",  # comma, double quotes, UTF-8, first line
            "--outdir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    with open(out / "export.csv", encoding="utf-8", newline="") as fileobj:
        rows = list(csv.reader(fileobj))
    assert rows[0] == [
        "Ärendenr",
        "Status",
        "Inskickat",
        "Inskickare",
        "Handläggare",
        "Elevens namn",
        "Startdatum",
        "Avstånd (km)",
        "Kost",
    ]
    assert rows[1] == [
        "4711",
        "Inskickat",
        "2026-03-02 09:30",
        "Maria Öljung",
        "Hanna Berg",
        "Åsa Öberg",
        "2026-08-17",
        "4.5",
        "Glutenfri, Laktosfri",
    ]
