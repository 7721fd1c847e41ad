"""The taxonomy as it stood in the 2024 annual report and the 2026 category plan.

Loaded once by migration 0002; afterwards the admin is the source of truth. Rows marked
*reconstructed* in the domain brief (table layout lost in extraction) are kept as data here.
"""

OPERATING_FORMS = [
    # code, Swedish, English, preference rank (matching offers lower ranks first)
    ("own", "Egen regi", "Own operation", 1),
    ("framework", "Ramavtal", "Framework agreement", 2),
    ("iop", "IOP (idéburet offentligt partnerskap)", "Idea-based public partnership (IOP)", 3),
    ("direct", "Direktupphandling", "Direct procurement", 4),
]

AREAS = [
    ("vuxen", "IFO Vuxen", "Adults (IFO)"),
    ("barn-och-unga", "IFO Barn och unga", "Children and youth (IFO)"),
    ("funktionsstod", "Funktionsstöd", "Disability support"),
]

# area code, service code, Swedish, English, operating forms, subcategories (code, sv, en)
SERVICES = [
    (
        "vuxen",
        "socialt-boende",
        "Socialt boende med stöd",
        "Supported social housing",
        ["own", "framework", "direct"],
        [
            ("akutboende", "Akutboende", "Emergency housing"),
            (
                "kortsiktigt-kollektivt",
                "Kortsiktigt kollektivt boende",
                "Short-term communal housing",
            ),
            ("forstarkt-kollektivt", "Förstärkt kollektivt boende", "Reinforced communal housing"),
            ("lagenhetsboende", "Lägenhetsboende", "Apartment housing"),
        ],
    ),
    ("vuxen", "nodbistand-boende", "Nödbistånd boende", "Emergency shelter", ["own", "direct"], []),
    (
        "vuxen",
        "behandlingsinsatser",
        "Behandlingsinsatser",
        "Treatment",
        ["framework", "direct"],
        [],
    ),
    (
        "vuxen",
        "skyddat-boende",
        "Skyddat boende",
        "Protected housing",
        ["own", "framework", "direct", "iop"],
        [
            (
                "vald-i-nara-relation",
                "Våld i nära relation / hedersrelaterat våld",
                "Domestic / honour-related violence",
            ),
            ("avhopparverksamhet", "Avhopparverksamhet", "Leaving crime"),
            ("annan-orsak", "Annan orsak", "Other reason (e.g. external threats)"),
        ],
    ),
    ("vuxen", "bostad-forst", "Bostad först", "Housing First", ["own", "framework"], []),
    (
        "barn-och-unga",
        "hvb",
        "HVB barn och unga",
        "Residential care home (HVB)",
        ["own", "framework", "direct"],
        [
            ("akut", "Akut", "Acute"),
            ("behandlingsuppdrag", "Behandlingsuppdrag", "Treatment assignment"),
            ("utredningsuppdrag", "Utredningsuppdrag", "Assessment assignment"),
        ],
    ),
    (
        "barn-och-unga",
        "stodboende",
        "Stödboende",
        "Supported housing (16–20)",
        ["own", "framework", "direct"],
        [],
    ),
    (
        "barn-och-unga",
        "familjehem",
        "Familjehem",
        "Foster care",
        ["framework", "direct"],
        [
            ("familjehem", "Familjehem", "Foster home"),
            ("jourhem", "Jourhem", "Emergency foster home"),
            ("konsulentstodd", "Konsulentstödd familjehemsvård", "Agency-supported foster care"),
        ],
    ),
    (
        "barn-och-unga",
        "oppenvard",
        "Öppenvård barn och unga",
        "Outpatient care (children)",
        ["framework", "direct"],
        [],
    ),
    (
        "funktionsstod",
        "korttidsvistelse",
        "Korttidsvistelse",
        "Short stay",
        ["own", "framework", "direct"],
        [
            ("korttidshem", "Korttidshem", "Short-stay home"),
            ("lagerverksamhet", "Lägerverksamhet", "Camp"),
        ],
    ),
    (
        "funktionsstod",
        "korttidsboende",
        "Korttidsboende SoL",
        "Short-term housing (SoL)",
        ["own", "framework", "direct"],
        [
            ("fysiska", "Fysiska funktionsnedsättningar", "Physical disabilities"),
            ("psykiska", "Psykiska funktionsnedsättningar", "Mental disabilities"),
        ],
    ),
]


# Services whose units need an IVO permit unless run by the municipality itself.
PERMIT_REQUIRED = {
    "hvb",
    "stodboende",
    "skyddat-boende",
    "behandlingsinsatser",
    "familjehem",
    "korttidsvistelse",
}


def load(apps) -> None:
    """Create or update the taxonomy rows (used by the data migration and seed_demo)."""
    OperatingForm = apps.get_model("categories", "OperatingForm")
    CategoryArea = apps.get_model("categories", "CategoryArea")
    Service = apps.get_model("categories", "Service")
    Subcategory = apps.get_model("categories", "Subcategory")

    forms = {}
    for code, sv, en, rank in OPERATING_FORMS:
        forms[code], _ = OperatingForm.objects.update_or_create(
            code=code, defaults={"name_sv": sv, "name_en": en, "preference_rank": rank}
        )
    areas = {}
    for position, (code, sv, en) in enumerate(AREAS):
        areas[code], _ = CategoryArea.objects.update_or_create(
            code=code, defaults={"name_sv": sv, "name_en": en, "position": position}
        )
    # Migrations pass historical models, which may lack fields added later.
    service_fields = {field.name for field in Service._meta.get_fields()}
    for position, (area, code, sv, en, form_codes, subcategories) in enumerate(SERVICES):
        defaults = {
            "area": areas[area],
            "name_sv": sv,
            "name_en": en,
            "position": position,
            "requires_permit": code in PERMIT_REQUIRED,
        }
        service, _ = Service.objects.update_or_create(
            code=code, defaults={k: v for k, v in defaults.items() if k in service_fields}
        )
        service.operating_forms.set([forms[c] for c in form_codes])
        for sub_position, (sub_code, sub_sv, sub_en) in enumerate(subcategories):
            Subcategory.objects.update_or_create(
                code=f"{code}--{sub_code}",
                defaults={
                    "service": service,
                    "name_sv": sub_sv,
                    "name_en": sub_en,
                    "position": sub_position,
                },
            )
