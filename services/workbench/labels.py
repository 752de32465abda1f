"""Readable names of the values the pages show (English message ids; the catalogue translates them)."""

from __future__ import annotations

from shared.contracts.geography import municipalities


def N_(message: str) -> str:  # noqa: N802 - gettext's conventional name for "mark for translation only"
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:  # noqa: N802 - N_ with a plural, for ngettext
    return singular, plural


LABELS = {
    # case status
    "open": N_("Open, not matched yet"), "proposed": N_("Sites proposed"),
    "no-proposition": N_("No proposition anywhere"), "closed": N_("Closed"),
    # lead status (ROM)
    "portfolio": N_("In portfolio (no case)"), "case-opened": N_("Case opened"), "none": N_("No case"),
    # stage
    "startup": N_("Startup"), "scale-up": N_("Scale-up"), "grown-up": N_("Grown-up"),
    # region
    "noord": N_("North"), "oost": N_("East"), "zuid": N_("South"), "west": N_("West"), "midden": N_("Middle"),
    # demand types
    "floor_space": N_("Space"), "capital": N_("Capital"), "talent": N_("Talent"),
    "housing": N_("Housing and accessibility"), "energy": N_("Energy"),
    # outcomes
    "relocated": N_("Relocated"), "stayed": N_("Stayed"), "left-country": N_("Left the country"),
    "withdrew": N_("Withdrew"),
    # decisions
    "accepted": N_("Accepted"), "declined": N_("Declined"),
    # timeline
    "case-opened-event": N_("Case opened"), "signalled": N_("Signalled by"),
    "proposal-accepted": N_("Proposal accepted"), "proposal-declined": N_("Proposal declined"),
    "mail-sent": N_("Mail sent"), "mail-pending": N_("Mail waiting"), "mail-sending": N_("Mail being sent"),
    "mail-dead": N_("Mail failed"),
    # lead write results
    "registered": N_("The lead is registered."), "updated": N_("The lead is updated."),
    "unchanged": N_("Nothing changed: the lead was already like this."),
    "stale": N_("A newer version of this lead exists; nothing changed."),
    "decided": N_("The decision is recorded."), "outcome": N_("The outcome is recorded."),
    # the taskforce's case work
    "assigned": N_("The owner of the case is recorded."), "note-saved": N_("The note is saved."),
    "reminder-saved": N_("The follow-up is saved."), "reminder-done": N_("The follow-up is marked done."),
    "contact-company": N_("The company"), "contact-municipality": N_("A municipality"),
    "contact-province": N_("A province"), "contact-other": N_("Someone else"),
    "note-company": N_("Note: contact with the company"), "note-municipality": N_("Note: contact with a municipality"),
    "note-province": N_("Note: contact with a province"), "note-other": N_("Note: other contact"),
    "follow-up-due": N_("Due today"), "follow-up-overdue": N_("Overdue"), "follow-up-later": N_("Planned"),
    "follow-up-done": N_("Done"),
    # the coordinator's queues: look-alike names, a case's mails and replies, what blocked a case
    "review-same-company": N_("Yes, one company"), "review-different-companies": N_("No, two different companies"),
    "review-decided": N_("The decision is recorded in intake."),
    "delivery-sent": N_("Sent"), "delivery-failed": N_("Failed"), "delivery-retrying": N_("Being retried"),
    "delivery-waiting": N_("Waiting to be sent"),
    "template-match_proposed": N_("Proposal"), "template-no_proposition": N_("No proposition"),
    "template-relocation_realised": N_("Relocation"), "template-housing_signal": N_("Housing signal"),
    "template-digest": N_("Digest"),
    "reply-offer": N_("Offer"), "reply-decline": N_("Decline"),
    "blocker-availability": N_("Not available in time"), "blocker-floor_space": N_("Too little floor space"),
    "blocker-cleanroom": N_("No suitable cleanroom"), "blocker-vibration_free": N_("Not vibration-free"),
    "blocker-grid_capacity": N_("Too little grid capacity"),
    "blocker-environmental_category": N_("Environmental category too low"), "blocker-no_sites": N_("No sites"),
    # data the catalogue lacks for a proposed site (matching's missing_keys)
    "missing-largest_lot": N_("largest contiguous lot"), "missing-vibration_free": N_("vibration-free floors"),
    "missing-cleanroom_size": N_("cleanroom size"),
    "missing-environmental_category": N_("environmental category allowed"),
    "missing-grid_capacity": N_("grid capacity (verify with the grid operator)"),
    "missing-graduates": N_("graduate numbers"), "missing-labour_market": N_("labour-market tightness"),
    "missing-housing_pressure": N_("housing pressure"),
    "missing-knowledge_distance": N_("distance to knowledge institutions"),
    # site write results and the site form's fields
    "site-saved": N_("The site is saved; matching re-matches the open cases it affects."),
    "site-unchanged": N_("Nothing changed: the site was already like this."),
    "site-retired": N_("The site is retired: it is never proposed again; matching re-matches the open cases it "
                       "was proposed to."),
    "largest_lot_m2": N_("Largest lot (m²)"), "grid_mw_available": N_("Grid capacity available now (MW)"),
    # demand fields
    "floor_space_m2": N_("Floor space (m²)"), "cleanroom_iso_class": N_("Cleanroom ISO class"),
    "cleanroom_m2": N_("Cleanroom (m²)"), "vibration_free": N_("Vibration-free floor"),
    "environmental_category": N_("Environmental category"), "needed_by": N_("Needed by"),
    "facility": N_("Facility"), "description": N_("Description"), "fte_mbo": N_("Staff, vocational (mbo, FTE)"),
    "fte_hbo": N_("Staff, applied university (hbo, FTE)"), "fte_wo": N_("Staff, research university (wo, FTE)"),
    "staff_to_house": N_("Staff to house"), "transport_needs": N_("Transport needs"),
    "grid_connection_mw": N_("Grid connection (MW)"), "shared": N_("Shared"), "own": N_("Own"),
    # matching's criteria
    "space": N_("Space"), "cluster": N_("Clustering with similar companies"),
    "knowledge": N_("Knowledge institutions"), "own_region": N_("Own region"),
    # technology domains
    "optical-systems-integrated-photonics": N_("Optical systems and integrated photonics"),
    "quantum-technologies": N_("Quantum technologies"), "process-technology": N_("Process technology"),
    "biomolecular-cell-technologies": N_("Biomolecular and cell technologies"),
    "imaging-technologies": N_("Imaging technologies"),
    "mechatronics-optomechatronics": N_("Mechatronics and optomechatronics"),
    "artificial-intelligence-data-science": N_("Artificial intelligence and data science"),
    "energy-materials": N_("Energy materials"), "semiconductor-technologies": N_("Semiconductor technologies"),
    "cybersecurity-technologies": N_("Cybersecurity technologies"),
    "strategic-pharmaceuticals": N_("Pharmaceuticals (strategic autonomy)"),
    "strategic-defence": N_("Defence industry (strategic autonomy)"),
    "strategic-autonomy": N_("Other sector essential to strategic autonomy"),
}

# The lead form's inputs by the API's field path: the error summary names them as the form does.
FIELD_LABELS = {
    "reference": N_("Your reference"), "company.name": N_("Company name"), "company.kvk_number": N_("KvK number"),
    "stage": N_("Stage"), "technology_domains": N_("Technology domains"), "sector": N_("Sector"),
    "investment_eur": N_("Expected investment (EUR)"), "location": N_("Current location"),
    "location.municipality_code": N_("Municipality (CBS code)"), "location.region": N_("Region"),
    "company": N_("Company"), "demand": N_("Demand"),
    "owner": N_("Owner"), "note-contact": N_("Contact with"), "note-contact_on": N_("Date of the contact"),
    "note-text": N_("Note"), "reminder-due_on": N_("Follow up on"), "reminder-text": N_("What to follow up"),
    "demand.floor_space.floor_space_m2": N_("Floor space (m²)"),
    "demand.floor_space.cleanroom_m2": N_("Cleanroom (m²)"),
    "demand.floor_space.needed_by": N_("Space needed by"),
    "demand.energy.grid_connection_mw": N_("Grid connection (MW)"),
    "demand.energy.needed_by": N_("Grid connection needed by"),
    "demand.talent.fte_mbo": N_("Staff, vocational (mbo, FTE)"),
    "demand.talent.fte_hbo": N_("Staff, applied university (hbo, FTE)"),
    "demand.talent.fte_wo": N_("Staff, research university (wo, FTE)"),
    "demand.talent.needed_by": N_("Staff needed by"),
}

# What to do about a refused input, in plain words (intake's own reason is technical English).
_NUMBER = N_("Give a number of at least 0, e.g. 2500.")
_DATE = N_("Give a date, e.g. 2027-09-01.")
FIELD_HELP = {
    "reference": N_("Give your own reference for this lead (at most 100 characters)."),
    "company.name": N_("Give the company's name (at most 200 characters)."),
    "company.kvk_number": N_("A KvK number has 8 digits, e.g. 12345678."),
    "stage": N_("Choose the company's stage."),
    "location.municipality_code": N_("Give the CBS code of a municipality, e.g. GM0153 (Enschede)."),
    "location.region": N_("Choose the region."),
    "demand": N_("Give at least one type of demand: space, energy or talent, each with its date."),
    "investment_eur": _NUMBER,
    "demand.floor_space.floor_space_m2": N_("Give the floor space in m², more than 0, e.g. 2500."),
    "demand.floor_space.cleanroom_m2": _NUMBER, "demand.energy.grid_connection_mw": N_("Give the MW needed, "
                                                                                     "more than 0, e.g. 1.5."),
    "demand.talent.fte_mbo": _NUMBER, "demand.talent.fte_hbo": _NUMBER, "demand.talent.fte_wo": _NUMBER,
    "demand.floor_space.needed_by": _DATE, "demand.energy.needed_by": _DATE, "demand.talent.needed_by": _DATE,
}

# The columns of an uploaded file (intake's CSV import of leads, matching's import of sites), by the name the
# service gives a row's error: the preview names the column in the reader's words, not by its code.
COLUMN_LABELS = {
    "(row)": N_("The row"), "row": N_("The row"), "csv": N_("The file"), "content": N_("The file"),
    # leads (intake's import format)
    "reference": N_("Your reference"), "company_name": N_("Company name"), "kvk_number": N_("KvK number"),
    "organisation_kind": N_("Kind of organisation"), "consent": N_("Consent"), "stage": N_("Stage"),
    "life_phase": N_("Life phase"), "technology_domains": N_("Technology domains"), "sector": N_("Sector"),
    "municipality_code": N_("Municipality (CBS code)"), "province": N_("Province"), "region": N_("Region"),
    "investment_eur": N_("Expected investment (EUR)"), "investment_status": N_("Investment status"),
    "leaving_likelihood": N_("Likelihood of leaving"), "leaving_countries": N_("Countries it may leave for"),
    "low_value_production": N_("Low-value production"), "negative_externalities": N_("Negative external effects"),
    "contact_role": N_("Contact's role"), "contact_email": N_("Contact's e-mail address"),
    "floor_space_m2": N_("Floor space (m²)"), "cleanroom_iso_class": N_("Cleanroom ISO class"),
    "cleanroom_m2": N_("Cleanroom (m²)"), "vibration_free": N_("Vibration-free floor"),
    "environmental_category": N_("Environmental category"), "floor_space_needed_by": N_("Space needed by"),
    "capital_facility": N_("Facility"), "capital_description": N_("Description of the capital need"),
    "capital_needed_by": N_("Capital needed by"), "talent_fte_mbo": N_("Staff, vocational (mbo, FTE)"),
    "talent_fte_hbo": N_("Staff, applied university (hbo, FTE)"),
    "talent_fte_wo": N_("Staff, research university (wo, FTE)"), "talent_needed_by": N_("Staff needed by"),
    "housing_staff": N_("Staff to house"), "housing_transport": N_("Transport needs"),
    "housing_needed_by": N_("Housing needed by"), "energy_grid_mw": N_("Grid connection (MW)"),
    "energy_needed_by": N_("Grid connection needed by"),
    # sites (matching's import format)
    "id": N_("Site id"), "name": N_("Name"), "hotspot": N_("Hotspot"), "latitude": N_("Latitude"),
    "longitude": N_("Longitude"), "available_from": N_("Available from"),
    "planned_floor_space_m2": N_("Planned floor space (m²)"), "planned_available_from": N_("Planned land from"),
    "largest_lot_m2": N_("Largest lot (m²)"), "cleanroom_facility": N_("Cleanroom facility"),
    "environmental_category_max": N_("Highest environmental category allowed"),
    "grid_mw_available": N_("Grid capacity available now (MW)"), "grid_congestion": N_("Grid congestion"),
    "grid_reinforcement_date": N_("Grid reinforcement date"),
    "grid_mw_after_reinforcement": N_("Grid capacity after the reinforcement (MW)"),
    "graduates_mbo": N_("Yearly graduates, vocational (mbo)"),
    "graduates_hbo": N_("Yearly graduates, applied university (hbo)"),
    "graduates_wo": N_("Yearly graduates, research university (wo)"),
    "labour_market_tightness": N_("Labour-market tightness"), "housing_pressure": N_("Housing pressure"),
    "accessibility": N_("Accessibility"), "clusters": N_("Clusters of companies"),
    "knowledge_institutions": N_("Knowledge institutions"), "fieldlabs": N_("Fieldlabs"),
    "knowledge_distance_km": N_("Distance to knowledge institutions (km)"), "illustrative": N_("Illustrative"),
    "retired": N_("Retired"), "location": N_("Location"), "geometry": N_("Location"),
}


def column_key(column: str) -> str:
    """A row error's column as COLUMN_LABELS knows it: a list item or nested part (`accessibility.0`) by its
    column."""
    return column if column in COLUMN_LABELS else column.split(".")[0]


def municipality(code: str | None) -> str:
    """A CBS municipality code as people know it: "Enschede (GM0153)"; the code alone when the table lacks it."""
    if not code:
        return ""
    known = municipalities().get(code.upper())
    return f"{known[0]} ({code})" if known else code
