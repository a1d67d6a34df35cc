"""Demo data for `etjanst demo`: the seeds' e-services, people and a few hundred cases.

Idempotent: people, groups and e-services are found by name before they are made, and
cases are only added to a database that has none.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import func, select, update
from werkzeug.security import generate_password_hash

from shared import clock, roles
from shared.db import db
from shared.demo import definitions
from shared.errors import DomainError
from shared.models import (
    Absence,
    AssignmentRule,
    Case,
    CaseEvent,
    CaseHandler,
    Category,
    Citizen,
    ColourLabel,
    EService,
    EServiceVersion,
    GroupMember,
    HandlerGroup,
    HandlerLink,
    LegalBasis,
    MessageTemplate,
    PersonalDataCategory,
    RetentionAction,
    RetentionRule,
    StaffUser,
    Status,
    StatusGroup,
    StatusKind,
    VersionState,
)
from shared.services.statuses import ensure_standard_status_group

DEMO_PASSWORD = "etjanst-demo"

# Test personnummer in the series Skatteverket reserves for test persons (980–999).
DEMO_CITIZENS = [
    ("198507099805", "Maria", "Öljung", "maria.oljung@example.org"),
    ("196408239801", "Karin", "Gustafsson", "karin.gustafsson@example.org"),
    ("197903149800", "Ahmed", "Hassan", "ahmed.hassan@example.org"),
    ("199012019809", "Sofia", "Lindqvist", "sofia.lindqvist@example.org"),
    ("197205309805", "Erik", "Åström", "erik.astrom@example.org"),
    ("198802119803", "Fatima", "Ali", "fatima.ali@example.org"),
    ("199509199809", "Johan", "Berg", "johan.berg@example.org"),
    ("196811049805", "Eva", "Nordström", "eva.nordstrom@example.org"),
    ("198304279808", "Lena", "Persson", "lena.persson@example.org"),
    ("197606159809", "Mikael", "Sjöberg", "mikael.sjoberg@example.org"),
    ("200101229805", "Amanda", "Ek", "amanda.ek@example.org"),
    ("199210089802", "Oskar", "Holm", "oskar.holm@example.org"),
]

# username, first, last, roles, title
DEMO_STAFF = [
    ("admin", "Alva", "Administratör", (roles.ADMIN,), "Systemförvaltare"),
    ("byggare", "Bo", "Byggare", (roles.BUILDER,), "E-tjänsteutvecklare"),
    ("anna", "Anna", "Andersson", (roles.HANDLER,), "Skolskjutshandläggare"),
    ("bertil", "Bertil", "Berglund", (roles.HANDLER,), "Lärare, Kulturskolan"),
    ("cecilia", "Cecilia", "Carlsson", (roles.HANDLER,), "Skolskjutshandläggare"),
    ("david", "David", "Dahl", (roles.HANDLER,), "Kostekonom"),
    ("elin", "Elin", "Ekström", (roles.HANDLER,), "Administratör, Kulturskolan"),
    ("fredrik", "Fredrik", "Falk", (roles.HANDLER,), "Handläggare, Räddningstjänsten"),
]

CHILD_NAMES = [
    "Alice",
    "Elsa",
    "Liam",
    "Noah",
    "Maja",
    "Hugo",
    "Vera",
    "Olle",
    "Saga",
    "Leo",
    "Ebba",
    "Nils",
    "Alma",
    "William",
    "Wilma",
    "Ali",
    "Selma",
    "Melvin",
    "Ines",
    "Malte",
]
LAST_NAMES = [
    "Öljung",
    "Gustafsson",
    "Hassan",
    "Lindqvist",
    "Åström",
    "Ali",
    "Berg",
    "Nordström",
    "Persson",
    "Sjöberg",
    "Ek",
    "Holm",
]
STREETS = ["Storgatan", "Kyrkvägen", "Skolgatan", "Björkvägen", "Åsgatan", "Sjövägen"]


def _role(name: str) -> Role:
    role = db.session.scalar(select(Role).where(Role.name == name))
    if role is None:
        role = Role(name=name)
        db.session.add(role)
        db.session.flush()
    return role


def _staff() -> dict[str, StaffUser]:
    people: dict[str, StaffUser] = {}
    for username, first, last, role_names, title in DEMO_STAFF:
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
        if user is None:
            user = StaffUser(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@exempelby.se",
                password=generate_password_hash(DEMO_PASSWORD),
                active=True,
                title=title,
                mobile_phone="+46701234567",
            )
            user.roles = [_role(r) for r in role_names]
            db.session.add(user)
        people[username] = user
    db.session.flush()
    return people


def _group(name: str, members: list[StaffUser], mailbox: str, description: str) -> HandlerGroup:
    group = db.session.scalar(select(HandlerGroup).where(HandlerGroup.name == name))
    if group is None:
        group = HandlerGroup(name=name, mailbox_email=mailbox, description=description)
        group.members = [GroupMember(user=m, notify=True) for m in members]
        db.session.add(group)
        db.session.flush()
    return group


def _category(name: str, order: int) -> Category:
    category = db.session.scalar(select(Category).where(Category.name == name))
    if category is None:
        category = Category(name=name, sort_order=order)
        db.session.add(category)
        db.session.flush()
    return category


def _kulturskolan_status_group() -> StatusGroup:
    """The standard statuses plus the queue's own (I kö, Köplats borttagen)."""
    group = db.session.scalar(select(StatusGroup).where(StatusGroup.name == "Kulturskolan"))
    if group is None:
        group = StatusGroup(name="Kulturskolan", description="Ansökningar med kö")
        group.statuses = [
            Status(name="Sparat", citizen_label="Sparat, ej inskickat", kind=StatusKind.DRAFT, sort_order=0),
            Status(name="Inskickat", citizen_label="Inskickat", kind=StatusKind.SUBMITTED, sort_order=1),
            Status(name="I kö", citizen_label="Du står i kö", kind=StatusKind.IN_PROGRESS, sort_order=2),
            Status(
                name="Erbjuden plats",
                citizen_label="Du har erbjudits en plats",
                kind=StatusKind.WAITING,
                sort_order=3,
                pauses_due_date=True,
            ),
            Status(
                name="Antagen",
                citizen_label="Antagen",
                kind=StatusKind.COMPLETED,
                sort_order=4,
                is_final=True,
                applicant_message_days=30,
            ),
            Status(
                name="Köplats borttagen",
                citizen_label="Köplatsen är borttagen",
                kind=StatusKind.COMPLETED,
                sort_order=5,
                is_final=True,
                deletable_by="handlers",
            ),
        ]
        db.session.add(group)
        db.session.flush()
    return group


def _eservice(slug: str, **fields: Any) -> tuple[EService, bool]:
    found = db.session.scalar(select(EService).where(EService.slug == slug))
    if found is not None:
        return found, False
    versions = fields.pop("versions")
    eservice = EService(slug=slug, **fields)
    for number, (definition, state) in enumerate(versions, start=1):
        eservice.versions.append(
            EServiceVersion(
                number=number,
                definition=definition,
                state=state,
                published_at=clock.now() if state != VersionState.DRAFT else None,
            )
        )
    db.session.add(eservice)
    db.session.flush()
    return eservice, True


GDPR_COMMON = {
    "gdpr_legal_bases": [LegalBasis.PUBLIC_INTEREST.value],
    "gdpr_retention": "Ärendet gallras två år efter att det avslutats, enligt nämndens dokumenthanteringsplan.",
    "complaint_text": None,
}


def _eservices(people: dict[str, StaffUser], groups: dict[str, HandlerGroup]) -> dict[str, EService]:
    from shared.notify import default_notification_settings

    standard = ensure_standard_status_group()
    kulturskolan_statuses = _kulturskolan_status_group()
    school = _category("Barnomsorg och utbildning", 1)
    food = _category("Mat och måltider", 2)
    culture = _category("Kultur och fritid", 3)
    safety = _category("Trygghet och säkerhet", 4)
    made: dict[str, EService] = {}

    skolskjuts, new = _eservice(
        "skolskjuts",
        name="Skolskjuts – ansökan",
        category=school,
        description="Ansök om skolskjuts för ditt barn i grundskolan. Ansökan gäller ett läsår i taget.",
        login_required=True,
        due_days=21,
        status_group=standard,
        colour_marking=True,
        manual_add=True,
        subtasks_enabled=True,
        summary_fields=["elev_namn", "elev_personnummer", "skola"],
        gdpr_categories=["namn", "adress", "personnummer", "telefon"],
        controller_name="Barn- och utbildningsnämnden",
        controller_email="bun@exempelby.se",
        process_owner="Skolchef",
        information_owner="Barn- och utbildningsnämnden",
        last_reviewed_on=dt.date(2026, 8, 15),
        versions=[(definitions.SKOLSKJUTS, VersionState.PUBLISHED)],
        **GDPR_COMMON,
    )
    if new:
        skolskjuts.handler_links = [
            HandlerLink(group=groups["skolskjuts"]),
            HandlerLink(user=people["anna"]),
            HandlerLink(user=people["cecilia"]),
        ]
        skolskjuts.assignment_rules = [
            AssignmentRule(question_id="skola", answer_value="alneskolan", user=people["anna"], sort_order=1),
            AssignmentRule(question_id="skola", answer_value="bergsskolan", user=people["cecilia"], sort_order=2),
        ]
        skolskjuts.default_group = groups["skolskjuts"]
        skolskjuts.colour_labels = [
            ColourLabel(colour="green", meaning="Beviljad, väntar på beslut", sort_order=1),
            ColourLabel(colour="yellow", meaning="Kontakta skolan", sort_order=2),
            ColourLabel(colour="red", meaning="Brådskande", sort_order=3),
        ]
        skolskjuts.message_templates = [
            MessageTemplate(
                name="Begäran om komplettering",
                body="Hej! För att kunna handlägga din ansökan om skolskjuts behöver vi ...",
            ),
            MessageTemplate(
                name="Beslut: beviljad", body="Din ansökan om skolskjuts är beviljad. Busskortet skickas till skolan."
            ),
        ]
    made["skolskjuts"] = skolskjuts

    specialkost, new = _eservice(
        "specialkost",
        name="Ansökan om specialkost",
        category=food,
        description="Ansök om specialkost i förskola och skola av medicinska, etiska eller religiösa skäl. "
        "Du kan använda tjänsten med eller utan e-legitimation.",
        login_required=False,
        anonymous_allowed=True,
        due_days=10,
        status_group=standard,
        summary_fields=["barn_namn", "enhet", "grund"],
        gdpr_categories=["namn", "personnummer", "e-post", "mobil"],
        gdpr_extra_categories="Uppgifter om hälsa (allergier, läkarintyg)",
        gdpr_purpose="Uppgifterna används för att kosthandläggaren ska kunna beställa rätt specialkost "
        "från det kök som lagar ditt barns mat.",
        controller_name="Kostnämnden",
        controller_email="kost@exempelby.se",
        versions=[(definitions.SPECIALKOST, VersionState.PUBLISHED)],
        **GDPR_COMMON,
    )
    if new:
        # No default handler: new applications wait under Obehandlade until someone takes them.
        specialkost.handler_links = [HandlerLink(group=groups["kost"]), HandlerLink(user=people["david"])]
    made["specialkost"] = specialkost

    kulturskolan, new = _eservice(
        "kulturskolan",
        name="Kulturskolan – ansökan",
        category=culture,
        description="Ansök om en plats i Kulturskolans kurser, under eller efter skoltid. "
        "Vårdnadshavare ansöker för barn; elever som fyllt 18 ansöker själva.",
        login_required=True,
        due_days=60,
        status_group=kulturskolan_statuses,
        queue_question_id="kurs",
        summary_fields=["elev_namn", "kurs", "skola"],
        gdpr_categories=["namn", "personnummer", "e-post"],
        controller_name="Kultur- och fritidsnämnden",
        controller_email="kultur@exempelby.se",
        versions=[(definitions.KULTURSKOLAN, VersionState.PUBLISHED)],
        **GDPR_COMMON,
    )
    if new:
        kulturskolan.handler_links = [
            HandlerLink(user=people["elin"]),
            HandlerLink(user=people["bertil"], restricted=True),
        ]
        kulturskolan.assignment_rules = [
            AssignmentRule(question_id="kurs", answer_value="teater", user=people["bertil"], sort_order=1),
            AssignmentRule(question_id="kurs", answer_value="piano", user=people["bertil"], sort_order=2),
        ]
    made["kulturskolan"] = kulturskolan

    larmavtal, new = _eservice(
        "larmavtal-kac",
        name="Larmavtal – Kommunens alarmeringscentral KAC",
        category=safety,
        description="Teckna avtal om larmöverföring till kommunens alarmeringscentral (KAC).",
        login_required=True,
        due_days=30,
        status_group=standard,
        summary_fields=["avtalspart", "larmtyp"],
        gdpr_categories=["namn", "adress", "fastighetsbeteckning", "telefon"],
        controller_name="Räddningsnämnden",
        controller_email="raddning@exempelby.se",
        versions=[
            (definitions.larmavtal(1), VersionState.RETIRED),
            (definitions.larmavtal(2), VersionState.RETIRED),
            (definitions.larmavtal(3), VersionState.PUBLISHED),
        ],
        **GDPR_COMMON,
    )
    if new:
        larmavtal.handler_links = [HandlerLink(user=people["fredrik"]), HandlerLink(user=people["anna"])]
    made["larmavtal"] = larmavtal

    db.session.flush()
    for eservice in made.values():
        if not eservice.notification_settings:
            default_notification_settings(eservice)
        if not db.session.scalar(
            select(func.count()).select_from(RetentionRule).where(RetentionRule.eservice_id == eservice.id)
        ):
            final = next(s for s in eservice.status_group.statuses if s.kind == StatusKind.COMPLETED)
            db.session.add(
                RetentionRule(eservice_id=eservice.id, status_id=final.id, days=730, action=RetentionAction.DELETE)
            )
    db.session.flush()
    return made


def _citizens() -> list[Citizen]:
    found = []
    for pnr, first, last, email in DEMO_CITIZENS:
        citizen = db.session.scalar(select(Citizen).where(Citizen.personnummer == pnr))
        if citizen is None:
            citizen = Citizen(personnummer=pnr, first_name=first, last_name=last, email=email, phone="+46701112233")
            db.session.add(citizen)
        found.append(citizen)
    db.session.flush()
    return found


def _child_pnr(rng: random.Random) -> str:
    """A valid personnummer of a school child, in the test series (980–999)."""
    from personnummer import personnummer as pnr_lib

    while True:
        birth = dt.date(2010, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 8))
        serial = rng.randrange(980, 1000)
        base = f"{birth:%y%m%d}{serial:03d}"
        total = 0
        for i, ch in enumerate(base):
            d = int(ch) * (2 if i % 2 == 0 else 1)
            total += d - 9 if d > 9 else d
        candidate = f"{birth:%Y%m%d}-{serial:03d}{(10 - total % 10) % 10}"
        if pnr_lib.valid(candidate):
            return candidate


def _answers(kind: str, rng: random.Random, citizen: Citizen, version: int = 3) -> dict[str, Any]:
    child = f"{rng.choice(CHILD_NAMES)} {citizen.last_name}"
    school = rng.choice(definitions.SKOLOR)["value"]
    if kind == "skolskjuts":
        typ = rng.choice(["buss", "buss", "taxi"])
        return {
            "elev_namn": child,
            "elev_personnummer": _child_pnr(rng),
            "skola": school,
            "arskurs": rng.randint(0, 9),
            "typ": typ,
            "skal_taxi": "Eleven har en funktionsnedsättning och kan inte åka linjebuss." if typ == "taxi" else "",
            "startdatum": (clock.today() + dt.timedelta(days=rng.randint(5, 60))).isoformat(),
            "avstand": round(rng.uniform(2, 25), 1),
            "telefon": "070-123 45 67",
        }
    if kind == "specialkost":
        return {
            "barn_namn": child,
            "barn_personnummer": _child_pnr(rng),
            "enhet": rng.choice(definitions.SKOLOR + [{"value": "forskolan_tallen"}])["value"],
            "grund": "etisk",
            "kost": rng.sample(["vegetarisk", "flaskfri", "laktos"], k=rng.randint(1, 2)),
            "beskrivning": "Äter inte kött.",
            "vardnadshavare": citizen.full_name,
            "epost": citizen.email,
        }
    if kind == "kulturskolan":
        return {
            "elev_namn": child,
            "elev_personnummer": _child_pnr(rng),
            "skola": school,
            "kurs": rng.choice([k["value"] for k in definitions.KURSER]),
            "skoltid": rng.choice([True, False]),
            "erfarenhet": rng.choice(["", "Har spelat ett år.", "Nybörjare"]),
        }
    company = rng.random() < 0.5
    answers = {
        "avtalspart": "foretag" if company else "privatperson",
        "kontaktperson": citizen.full_name,
        "larmtyp": rng.sample(["brandlarm", "inbrottslarm", "driftlarm", "hisslarm"], k=rng.randint(1, 2)),
        "adress": f"{rng.choice(STREETS)} {rng.randint(1, 80)}",
        "fastighet": f"Exempelby {rng.choice(['Eken', 'Tallen', 'Björken'])} {rng.randint(1, 30)}:{rng.randint(1, 9)}",
        "telefon": "070-987 65 43",
    }
    if company:
        answers["organisationsnummer"] = rng.choice(["556703-7485", "212000-2700", "556016-0680"])
    return answers


MESSAGES_TO = [
    "Hej! Vi har tagit emot din ansökan och återkommer så snart vi har gått igenom den.",
    "Hej! Vi behöver ett intyg från skolan för att kunna handlägga ärendet. Ladda gärna upp det under Handlingar.",
    "Din ansökan är nu beviljad. Du får beslutet hemskickat med post också.",
]
MESSAGES_FROM = [
    "Tack! Jag laddar upp intyget i kväll.",
    "Hej, när kan jag räkna med ett beslut?",
    "Vi har flyttat, ny adress är Storgatan 12.",
]
NOTES = [
    "Ringde vårdnadshavaren, bekräftade adressen.",
    "Kontrollerat avståndet i kartan: 4,2 km.",
    "Väntar på besked från rektorn.",
]


def _cases(count: int, eservices: dict[str, EService], citizens: list[Citizen], people: dict[str, StaffUser]) -> int:
    from shared.services import cases as case_service
    from shared.services import messages as message_service

    rng = random.Random(2026)
    kinds = ["skolskjuts"] * 4 + ["specialkost"] * 2 + ["kulturskolan"] * 3 + ["larmavtal"]
    made = 0
    for i in range(count):
        kind = kinds[i % len(kinds)]
        eservice = eservices[kind]
        citizen = rng.choice(citizens)
        case = case_service.submit_case(eservice.id, _answers(kind, rng, citizen), citizen=citizen)
        made += 1
        statuses = {s.kind: s for s in reversed(eservice.status_group.statuses)}
        # Spread over the life cycle: some untouched, most taken, many closed.
        roll = rng.random()
        handlers = [link.user for link in eservice.handler_links if link.user is not None and not link.restricted]
        holder = next((h.user for h in case.handlers if h.user is not None), None)
        if roll < 0.2:
            continue
        if holder is None:
            holder = rng.choice(handlers)
            case = case_service.take_case(case.id, actor=holder)
        case_service.change_status(case.id, statuses[StatusKind.IN_PROGRESS].id, actor=holder)
        if rng.random() < 0.5:
            message_service.send_message(case.id, rng.choice(MESSAGES_TO), actor=holder)
            if rng.random() < 0.6:
                message_service.reply_as_citizen(case.id, rng.choice(MESSAGES_FROM), citizen=citizen)
        if rng.random() < 0.4:
            message_service.add_note(case.id, rng.choice(NOTES), actor=holder)
        if roll < 0.35:
            continue
        if roll < 0.5:
            case_service.change_status(case.id, statuses[StatusKind.WAITING].id, actor=holder)
        elif roll < 0.9:
            case_service.change_status(case.id, statuses[StatusKind.COMPLETED].id, actor=holder)
        else:
            archived = statuses.get(StatusKind.ARCHIVED) or statuses[StatusKind.COMPLETED]
            case_service.change_status(case.id, archived.id, actor=holder)
    # Applications a citizen saved to finish later (Sparat): half filled in, no case number.
    for i in range(max(3, count // 30)):
        kind = kinds[i % len(kinds)]
        citizen = citizens[i % len(citizens)]
        answers = _answers(kind, rng, citizen)
        partial = dict(list(answers.items())[: max(1, len(answers) // 2)])
        case_service.save_draft(eservices[kind].id, partial, citizen=citizen)
        made += 1
    _spread_dates(rng)
    return made


def _spread_dates(rng: random.Random) -> None:
    """Move the demo cases back in time so the overview shows weeks of work, some overdue, and the
    statistics (Statistik) months of it: each case's history spread in order over the days it was
    handled, closed when its last status change says. At Kulturskolan piano is ever more wanted:
    its applications are recent, so its queue grows (the seed: kölängden ökar för en kurs)."""
    now = clock.now()
    rows = db.session.execute(select(Case.id, Case.eservice_id, Case.answers, Case.closed_at, Case.due_paused_at)).all()
    due_days = dict(db.session.execute(select(EService.id, EService.due_days)).all())
    queue_questions = dict(db.session.execute(select(EService.id, EService.queue_question_id)).all())
    history: dict[int, list[tuple[int, str]]] = {}
    for event_id, case_id, kind in db.session.execute(
        select(CaseEvent.id, CaseEvent.case_id, CaseEvent.kind).order_by(CaseEvent.id)
    ):
        history.setdefault(case_id, []).append((event_id, kind))
    for case_id, eservice_id, answers, closed_at, paused_at in rows:
        queue_question = queue_questions.get(eservice_id)
        recent = bool(queue_question) and (answers or {}).get(queue_question) == "piano"
        days = rng.randint(0, 35) if recent else rng.randint(0, 120)
        shift = dt.timedelta(days=days, hours=rng.randint(0, 9), minutes=rng.randint(0, 59))
        submitted = now - shift
        # The handling took from half a day to a month, and never beyond today.
        span = min(shift, dt.timedelta(hours=rng.randint(12, 30 * 24)))
        events = history.get(case_id, [])
        status_changed = submitted
        for index, (event_id, kind) in enumerate(events):
            at = submitted + span * (index / max(len(events) - 1, 1))
            db.session.execute(update(CaseEvent).where(CaseEvent.id == event_id).values(created_at=at))
            if kind == "status_changed":
                status_changed = at
        days_due = due_days.get(eservice_id)
        db.session.execute(
            update(Case)
            .where(Case.id == case_id)
            .values(
                submitted_at=submitted,
                created_at=submitted,
                due_at=submitted + dt.timedelta(days=days_due) if days_due else None,
                status_changed_at=status_changed,
                updated_at=submitted + span,
                closed_at=status_changed if closed_at is not None else None,
                due_paused_at=status_changed if paused_at is not None else None,
            )
        )
    db.session.commit()


def _absence(people: dict[str, StaffUser], groups: dict[str, HandlerGroup]) -> None:
    """F-GRP-3, to try out: Cecilia is off sick and her applicants' messages go to Skolskjutsgruppen,
    where Anna takes them over (Frånvaro och brevlådor → Gruppbrevlåda). Only on the first run."""
    from shared.services import absences, access
    from shared.services import messages as message_service

    cecilia = people["cecilia"]
    if db.session.scalar(select(func.count()).select_from(Absence).where(Absence.user_id == cecilia.id)):
        return
    absences.set_absence(
        actor=people["admin"],
        user_id=cecilia.id,
        starts_on=clock.today() - dt.timedelta(days=1),
        ends_on=clock.today() + dt.timedelta(days=6),
        forward_to_group_id=groups["skolskjuts"].id,
        auto_reply="Din handläggare är sjuk. Ditt meddelande har gått till Skolskjutsgruppen, som svarar dig.",
    )
    open_cases = db.session.scalars(
        select(Case)
        .join(CaseHandler, CaseHandler.case_id == Case.id)
        .where(CaseHandler.user_id == cecilia.id, Case.closed_at.is_(None), Case.citizen_id.is_not(None))
        .order_by(Case.id)
    ).all()
    case = next((c for c in open_cases if access.can_citizen(c.citizen, "message", c)), None)
    if case is not None:
        message_service.reply_as_citizen(
            case.id, "Hej! Jag undrar när beslutet om skolskjuts kommer? Skolan börjar snart.", citizen=case.citizen
        )


def _mailing(people: dict[str, StaffUser], eservices: dict[str, EService]) -> None:
    """F-MAIL-2, to try out: Kulturskolan's yearly queue question ("vill du stå kvar i kön?"), sent by
    Elin to the applicants in the queue on Mina sidor, a few already answered. Only on the first run."""
    from shared.models import Mailing
    from shared.services import mailings

    if db.session.scalar(select(func.count()).select_from(Mailing)):
        return
    kulturskolan = eservices["kulturskolan"]
    in_queue = next((s for s in kulturskolan.status_group.statuses if s.name == "I kö"), None)
    removed = next((s for s in kulturskolan.status_group.statuses if s.name == "Köplats borttagen"), None)
    criteria: dict[str, Any] = {"eservice_id": kulturskolan.id}
    queued = in_queue is not None and db.session.scalar(
        select(func.count()).select_from(Case).where(Case.status_id == in_queue.id, Case.citizen_id.is_not(None))
    )
    if queued:
        criteria["status_ids"] = [in_queue.id]
    try:
        mailing = mailings.create_mailing(
            mailings.Draft(
                criteria=criteria,
                channel="portal",
                subject="Vill du stå kvar i kön till Kulturskolan?",
                body="Hej {namn}!\n\nEn gång per år frågar vi alla som står i kö till Kulturskolan om de vill "
                "behålla sin köplats. Svara Ja eller Nej senast {svara_senast}. Den som inte svarar "
                "förlorar sin köplats.",
                question="Vill du behålla din köplats?",
                answer_days="30",
                no_answer_status_id=str(removed.id) if removed is not None else "",
            ),
            actor=people["elin"],
        )
    except DomainError:
        return  # no case to ask (a demo without Kulturskolan cases)
    # About half answer (at most five), so the summary shows Ja, Nej and Inte svarat.
    for index, recipient in enumerate(mailing.recipients[: min(5, (len(mailing.recipients) + 1) // 2)]):
        citizen = recipient.case.citizen
        if citizen is not None:
            mailings.answer(recipient.id, "no" if index == 1 else "yes", citizen=citizen)


def seed_demo(*, cases: int = 300) -> str:
    """Create the demo municipality; returns a one-paragraph summary."""
    people = _staff()
    groups = {
        "skolskjuts": _group(
            "Skolskjutsgruppen",
            [people["anna"], people["cecilia"]],
            "skolskjuts@exempelby.se",
            "Handläggare för skolskjuts",
        ),
        "kost": _group("Kostenheten", [people["david"]], "kost@exempelby.se", "Kosthandläggare"),
        "kulturskolan": _group(
            "Kulturskolans administration",
            [people["elin"]],
            "kulturskolan@exempelby.se",
            "Administratörer på Kulturskolan",
        ),
    }
    eservices = _eservices(people, groups)
    citizens = _citizens()
    db.session.commit()
    existing = db.session.scalar(select(func.count()).select_from(Case))
    made = 0
    if not existing:
        made = _cases(cases, eservices, citizens, people)
    _absence(people, groups)
    _mailing(people, eservices)
    total = db.session.scalar(select(func.count()).select_from(Case))
    return (
        f"Demo data ready: {len(people)} staff, {len(groups)} groups, {len(eservices)} e-services, "
        f"{len(citizens)} citizens, {total} cases ({made} added now)."
    )
