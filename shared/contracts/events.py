"""The events of a lead's lifecycle: lead-signalled, case-opened, match-proposed, relocation-realised."""

from __future__ import annotations

import math
import unicodedata
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from shared.contracts.envelope import Envelope, Frozen, Strict
from shared.contracts.geography import province_code, province_name, province_of_municipality
from shared.contracts.text import unstorable_text_error

EVENT_PREFIX = "nl.groeiruimte."


class Region(StrEnum):
    NOORD = "noord"
    OOST = "oost"
    ZUID = "zuid"
    WEST = "west"
    MIDDEN = "midden"


class Stage(StrEnum):
    STARTUP = "startup"
    SCALE_UP = "scale-up"
    GROWN_UP = "grown-up"


class TechnologyDomain(StrEnum):
    """The ten NTS key technologies plus strategic-autonomy categories."""

    PHOTONICS = "optical-systems-integrated-photonics"
    QUANTUM = "quantum-technologies"
    PROCESS = "process-technology"
    BIOMOLECULAR = "biomolecular-cell-technologies"
    IMAGING = "imaging-technologies"
    MECHATRONICS = "mechatronics-optomechatronics"
    AI = "artificial-intelligence-data-science"
    ENERGY_MATERIALS = "energy-materials"
    SEMICONDUCTORS = "semiconductor-technologies"
    CYBERSECURITY = "cybersecurity-technologies"
    PHARMA = "strategic-pharmaceuticals"
    DEFENCE = "strategic-defence"
    STRATEGIC_AUTONOMY = "strategic-autonomy"  # another sector essential to strategic autonomy: say which in `sector`


class InvestmentStatus(StrEnum):
    ESTIMATED = "estimated"
    VERIFIED = "verified"


CbsMunicipalityCode = Field(pattern=r"^GM\d{4}$", description="CBS municipality code, e.g. GM0153 (Enschede).")


NAME_MAX = 200


class Company(Strict):
    kvk_number: str = Field(pattern=r"^\d{8}$", description="Chamber of Commerce number: 8 digits.")
    name: str = Field(min_length=1, max_length=NAME_MAX,
                      description=f"At most {NAME_MAX} characters, also after Unicode compatibility normalisation "
                                  "(NFKC: 'Ⅷ' counts as the 4 characters 'VIII').")

    @field_validator("name")
    @classmethod
    def _short_after_normalisation(cls, name: str) -> str:
        """Intake compares names in their compatibility form (a varchar(200) key): measure them in it too."""
        normal = len(unicodedata.normalize("NFKC", name))
        if normal > NAME_MAX:
            raise PydanticCustomError(
                "string_too_long_normalised",
                "String should have at most {max} characters after Unicode compatibility normalisation (NFKC); "
                "this one has {length}", {"max": NAME_MAX, "length": normal})
        return name


class Location(Frozen):
    municipality_code: str = CbsMunicipalityCode
    province: str = Field(min_length=2, max_length=60)
    region: Region


class SignalledLocation(Location):
    """Where a ROM says the company is. The province follows from the municipality code (CBS's municipal
    division of the current year): leave it out, or give one that agrees (by name or PV code)."""

    model_config = Strict.model_config

    province: str | None = Field(default=None, min_length=2, max_length=60,
                                 description="Derived from municipality_code when left out; if given it must be "
                                             "that municipality's province (name or CBS code, e.g. PV23).")

    @model_validator(mode="before")
    @classmethod
    def _province_from_municipality(cls, data: Any) -> Any:
        """Fill in (or spell as CBS does) the province of a known municipality; a wrong one is left for
        LeadSignalledData to reject with its field."""
        if not isinstance(data, dict) or not isinstance(data.get("municipality_code"), str):
            return data
        known = province_of_municipality(data["municipality_code"])
        given = data.get("province")
        if known and (given is None or (isinstance(given, str) and province_code(given) == known)):
            return data | {"province": province_name(known)}
        return data

    def location_errors(self) -> list[InitErrorDetails]:
        """An unknown municipality, or a province that is not the municipality's, with the field and reason."""
        known = province_of_municipality(self.municipality_code)
        if known is None:
            return [InitErrorDetails(type=PydanticCustomError(
                "unknown_municipality", "not a municipality in CBS's municipal division of this year "
                                        "(gemeentelijke indeling, e.g. GM0153 Enschede)"),
                loc=("municipality_code",), input=self.municipality_code)]
        if self.province is None or province_code(self.province) != known:
            return [InitErrorDetails(type=PydanticCustomError(
                "province_mismatch", "{code} lies in {province} ({pv}): leave the province out or give that one",
                {"code": self.municipality_code, "province": province_name(known), "pv": known}),
                loc=("province",), input=self.province)]
        return []

    def as_location(self) -> Location:
        """The location as other services' events carry it (the province always given)."""
        return Location(municipality_code=self.municipality_code, province=self.province, region=self.region)


class EnvironmentalCategory(StrEnum):
    """Milieucategorie (VNG) a company's activities need; higher allows more nuisance."""

    C1 = "1"
    C2 = "2"
    C3_1 = "3.1"
    C3_2 = "3.2"
    C4_1 = "4.1"
    C4_2 = "4.2"
    C5 = "5"
    C6 = "6"  # heavy industry; added in schema version 1 (additive)


class FloorSpaceDemand(Frozen):
    """Space-intensive demand: square metres and their quality."""

    floor_space_m2: float = Field(gt=0)
    cleanroom_iso_class: int | None = Field(default=None, ge=1, le=9, description="ISO 14644-1; lower is cleaner.")
    cleanroom_m2: float | None = Field(default=None, ge=0)
    vibration_free: bool = False
    environmental_category: EnvironmentalCategory | None = None
    needed_by: date


class CapitalDemand(Frozen):
    """Capital-intensive demand: an expensive facility, shared on a campus early on, own later."""

    facility: Literal["shared", "own"]
    description: str = Field(default="", max_length=300)
    needed_by: date


class TalentDemand(Frozen):
    """Talent-intensive demand: extra staff by education level."""

    fte_mbo: int = Field(default=0, ge=0, le=1_000_000)
    fte_hbo: int = Field(default=0, ge=0, le=1_000_000)
    fte_wo: int = Field(default=0, ge=0, le=1_000_000)
    needed_by: date

    @property
    def total_fte(self) -> int:
        return self.fte_mbo + self.fte_hbo + self.fte_wo


class HousingDemand(Frozen):
    """Housing and accessibility pressure: staff to house, transport needs (a MIRT signal when large)."""

    staff_to_house: int = Field(default=0, ge=0, le=10_000_000)
    transport_needs: tuple[Literal["rail", "motorway", "port", "airport", "public-transport"], ...] = ()
    needed_by: date


class EnergyDemand(Frozen):
    """Energy-intensive demand: a grid connection (MW) by a date."""

    grid_connection_mw: float = Field(gt=0)
    needed_by: date


class SpaceDemand(Frozen):
    """The five types of space demand (programme section 3.7); at least one must be given."""

    floor_space: FloorSpaceDemand | None = None
    capital: CapitalDemand | None = None
    talent: TalentDemand | None = None
    housing: HousingDemand | None = None
    energy: EnergyDemand | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> SpaceDemand:
        if not self.types():
            raise ValueError("give at least one of floor_space, capital, talent, housing, energy")
        return self

    def types(self) -> list[str]:
        return [name for name in ("floor_space", "capital", "talent", "housing", "energy") if getattr(self, name)]

    @property
    def earliest_need(self) -> date:
        return min(getattr(self, name).needed_by for name in self.types())


# The ROM boundary's demand: the same parts, strict about unknown fields (inside the system they are ignored).
class SignalledFloorSpaceDemand(FloorSpaceDemand):
    model_config = Strict.model_config


class SignalledCapitalDemand(CapitalDemand):
    model_config = Strict.model_config


class SignalledTalentDemand(TalentDemand):
    model_config = Strict.model_config


class SignalledHousingDemand(HousingDemand):
    model_config = Strict.model_config


class SignalledEnergyDemand(EnergyDemand):
    model_config = Strict.model_config


class SignalledSpaceDemand(SpaceDemand):
    """Space demand as a ROM signals it (strict); other events carry it as SpaceDemand."""

    model_config = Strict.model_config
    floor_space: SignalledFloorSpaceDemand | None = None
    capital: SignalledCapitalDemand | None = None
    talent: SignalledTalentDemand | None = None
    housing: SignalledHousingDemand | None = None
    energy: SignalledEnergyDemand | None = None


class OrganisationKind(StrEnum):
    ROM = "rom"
    PARTNER = "partner"


class ConsentStatus(StrEnum):
    """Whether the company's identity may leave the signalling ROM and the taskforce."""

    NDA = "nda"
    CONSENTED = "consented"


class LeavingLikelihood(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class LeavingRisk(Strict):
    """Risk that the company grows abroad instead, and where it is looking."""

    likelihood: LeavingLikelihood
    candidate_countries: tuple[str, ...] = Field(
        default=(), max_length=20, description="ISO 3166-1 alpha-2 codes of countries it considers, e.g. DE, US.")

    @field_validator("candidate_countries")
    @classmethod
    def _country_codes(cls, codes: tuple[str, ...]) -> tuple[str, ...]:
        bad = [c for c in codes if not (len(c) == 2 and c.isascii() and c.isalpha() and c.isupper())]
        if bad:
            raise ValueError(f"must be ISO 3166-1 alpha-2 codes (e.g. DE), not {bad}")
        return codes


class ContactPerson(Strict):
    """As little personal data as possible: a role and a work email, no name."""

    role: str = Field(min_length=1, max_length=80, description="e.g. CFO, founder, facility manager.")
    email: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class LeadSignalledData(Strict):
    """A lead as a ROM signals it: the one contract at the system's boundary, so it is strict. Every string is
    storable text (no NUL character, no unpaired surrogate) and every number finite."""

    organisation: str = Field(min_length=2, max_length=60, description="Signalling ROM or partner id.")
    reference: str = Field(min_length=1, max_length=100, description="The organisation's own lead reference.")
    company: Company
    stage: Stage
    technology_domains: tuple[TechnologyDomain, ...] = Field(
        default=(), description="NTS technologies and strategic-autonomy categories; may be empty for a company "
                                "outside them, and then `sector` says what it does.")
    sector: str | None = Field(default=None, min_length=2, max_length=100,
                               description="The company's sector in words (e.g. pharmaceuticals, defence, retail): "
                                           "required when technology_domains is empty or holds strategic-autonomy.")
    location: SignalledLocation
    demand: SignalledSpaceDemand
    investment_eur: float | None = Field(default=None, ge=0,
                                         description="Expected investment (EUR); leave out when not known yet "
                                                     "(unknown is null, never 0).")
    investment_status: InvestmentStatus = InvestmentStatus.ESTIMATED
    organisation_kind: OrganisationKind = Field(default=OrganisationKind.ROM,
                                                description="A ROM, or a partner (triple helix, NFIA, Invest-NL).")
    consent: ConsentStatus = Field(default=ConsentStatus.NDA,
                                   description="nda: identity stays with the ROM and taskforce; consented: the "
                                               "company agreed to share it with municipalities and provinces.")
    life_phase: int | None = Field(default=None, ge=1, le=4, description="Venture-building life phase 1-4.")
    leaving_risk: LeavingRisk | None = None
    contact: ContactPerson | None = None
    low_value_production: bool = Field(default=False, description="Out of scope: low-value production.")
    negative_externalities: bool = Field(default=False, description="Out of scope: many negative external effects.")

    @classmethod
    def from_stored(cls, payload: dict[str, Any]) -> LeadSignalledData:
        """A lead accepted earlier, read back: the municipal division may have changed since (municipalities
        merge each 1 January), and a lead once accepted must stay readable."""
        return cls.model_validate(payload, context={"stored": True})

    @model_validator(mode="after")
    def _storable_and_complete(self, info: ValidationInfo) -> LeadSignalledData:
        """What PostgreSQL (and JSON) would refuse, and what the fields say only together, with its field:
        every problem at once, so that HTTP answers 422 and Kafka dead-letters on the first attempt."""
        bad: list[InitErrorDetails] = []
        _unstorable_values(self, (), bad)
        if not (info.context or {}).get("stored"):
            bad += [InitErrorDetails(type=e["type"], loc=("location", *e["loc"]), input=e["input"])
                    for e in self.location.location_errors()]
        bad += self._sector_errors()
        if bad:
            raise ValidationError.from_exception_data(type(self).__name__, bad)
        return self

    def _sector_errors(self) -> list[InitErrorDetails]:
        """A company outside every technology domain, or in the open strategic-autonomy category, says its sector
        so that triage can decide (and tell why)."""
        if self.sector or (self.technology_domains and TechnologyDomain.STRATEGIC_AUTONOMY
                           not in self.technology_domains):
            return []
        why = ("give the company's sector: technology_domains is empty" if not self.technology_domains else
               "give the sector that makes the company essential to strategic autonomy")
        return [InitErrorDetails(type=PydanticCustomError("sector_required", why), loc=("sector",), input=None)]


def _unstorable_values(node: Any, loc: tuple, bad: list[InitErrorDetails]) -> None:
    """Append an error for every infinite or NaN float and every string PostgreSQL cannot store, at its place:
    nested models, tuples and dicts included. (Exact-type checks: enum members were checked against their list.)"""
    if isinstance(node, Frozen):
        items = node.__dict__.items()
    elif node.__class__ is tuple or node.__class__ is list:
        items = enumerate(node)
    elif node.__class__ is dict:
        items = node.items()
    else:
        return
    for key, value in items:
        kind = value.__class__
        if kind is str:
            if err := unstorable_text_error(value):
                bad.append(InitErrorDetails(type=err, loc=(*loc, key), input=""))
        elif kind is float:
            if not math.isfinite(value):
                bad.append(InitErrorDetails(type="finite_number", loc=(*loc, key), input=value))
        elif value is not None and kind not in (int, bool):
            _unstorable_values(value, (*loc, key), bad)


class LeadSignalled(Envelope):
    """A ROM signals a company whose growth is (or will be within 2-3 years) blocked. subject = lead ref."""

    topic: ClassVar[str] = "lead-signalled"
    type: Literal["nl.groeiruimte.lead-signalled"] = "nl.groeiruimte.lead-signalled"
    schemaversion: Literal[1] = 1
    data: LeadSignalledData

    @model_validator(mode="after")
    def _storable_attributes(self) -> LeadSignalled:
        """source and subject are stored with the lead (its audit trail): the same text rule as the payload."""
        bad = [InitErrorDetails(type=err, loc=(name,), input="") for name in ("source", "subject")
               if (err := unstorable_text_error(getattr(self, name)))]
        if bad:
            raise ValidationError.from_exception_data(type(self).__name__, bad)
        return self


class CaseOpenedData(Frozen):
    """No company name or KvK number: outside intake the company travels as a keyed hash only."""

    case_id: UUID
    lead_id: UUID
    code_name: str
    organisation: str
    company_ref: str = Field(description="Keyed hash of the KvK number.")
    stage: Stage
    technology_domains: tuple[TechnologyDomain, ...]
    origin: Location
    demand: SpaceDemand
    investment_eur: float | None = Field(description="None when the ROM does not know it yet (never 0).")
    investment_status: InvestmentStatus
    signalled_at: AwareDatetime = Field(description="When the lead was first signalled, with its time zone "
                                                    "(version 2; version 1 carried it as ISO 8601 text).")


def case_opened_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 carried `signalled_at` as free text, ISO 8601 by convention; version 2 as a timestamp with
    its zone, so consumers compare instants instead of parsing text. Intake always wrote the offset; text
    without one was meant as UTC (intake's clock). Text that is no timestamp is left for validation to name."""
    text = data.get("signalled_at")
    if isinstance(text, str):
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return data
        data["signalled_at"] = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()
    return data


class CaseOpened(Envelope):
    topic: ClassVar[str] = "case-opened"
    type: Literal["nl.groeiruimte.case-opened"] = "nl.groeiruimte.case-opened"
    schemaversion: Literal[2] = 2
    upcasters: ClassVar = {1: case_opened_v1_to_v2}
    data: CaseOpenedData


def _absent(value: object) -> bool:
    """A fact that does not apply to its line (None or empty): left out of the JSON, which reads back the same
    (every such field defaults to it). The facts of one criterion are a few of some twenty fields, and writing
    the others as nulls doubled match-proposed (15 KB) and the cost of everything that carries or reads it."""
    return value is None or value == () or value == {}


def _fact(default: Any = None, **kw: Any) -> Any:
    """A field of a line's facts that is left out of the JSON where it does not apply."""
    if "default_factory" in kw:
        return Field(exclude_if=_absent, **kw)
    return Field(default=default, exclude_if=_absent, **kw)


class Explanation(Frozen):
    """One line of a proposal's `explanations` as facts: what a client needs to word it itself (in its reader's
    language, numbers and dates as the reader writes them). Only the facts of its criterion are given."""

    criterion: str = Field(description="floor_space, cleanroom, grid_capacity, capital, talent, housing, cluster "
                                       "or knowledge.")
    unmet: str | None = _fact(description="None: why the site fits; else the soft need of the "
                                          "criterion it does not meet: largest_lot, facility, "
                                          "graduates, labour_market, access or housing.")
    needed: float | None = _fact(description="m² (floor space, lot), MW (grid) or yearly "
                                             "graduates needed.")
    offered: float | None = _fact(description="What the site offers by the date needed, same unit.")
    needed_by: date | None = _fact(description="When the company needs it.")
    largest_lot_m2: float | None = _fact(description="The site's largest contiguous lot.")
    vibration_free: bool | None = _fact(description="True: the vibration-free floors needed are "
                                                    "there.")
    required: str | None = _fact(description="ISO cleanroom class, or facility (shared, own) "
                                             "wanted.")
    present: str | None = _fact(description="ISO cleanroom class, or facility (none, shared, own) "
                                            "the site has.")
    facility: str | None = _fact(description="The cleanroom's facility: none, shared or own.")
    fieldlabs: int | None = _fact(description="Fieldlabs at the site.")
    graduates: dict[str, int] = _fact(default_factory=dict, description="Yearly graduates nearby by level "
                                                                        "(mbo, hbo, wo), where known.")
    level: str | None = _fact(description="mbo, hbo or wo.")
    hires: int | None = _fact(description="Staff of that level the company will hire (FTE).")
    tightness: float | None = _fact(description="Vacancies per job seeker.")
    housing_pressure: float | None = _fact(description="0 relaxed .. 1 severe.")
    access: tuple[str, ...] = _fact((), description="Accessibility the site has (fits) or lacks (unmet).")
    domains: tuple[str, ...] = _fact((), description="The company's technology domains clustered there.")
    distance_km: float | None = _fact(description="To the nearest knowledge institution.")
    congestion: str | None = _fact(description="Grid congestion: none, pre-congestion, congested.")
    staff: int | None = _fact(description="Staff to house.")


class Proposal(Frozen):
    rank: int = Field(ge=1)
    site_id: str
    site_name: str
    region: Region
    province: str
    municipality_code: str = CbsMunicipalityCode
    own_region: bool
    score: float
    contributions: dict[str, float] = Field(description="Each criterion's share of the score.")
    region_label: str = Field(default="", description="'own region' or 'other region', for the coordinator.")
    explanations: tuple[str, ...] = Field(default=(), description="Why the site fits, one line per criterion.")
    missing_data: tuple[str, ...] = Field(
        default=(), description="Criteria the catalogue has no data for: left out of the score, not scored zero.")
    completeness: float = Field(default=1.0, ge=0, le=1, description="Share of the applicable weight with data.")
    missing_keys: tuple[str, ...] = Field(
        default=(), description="`missing_data` as keys (largest_lot, vibration_free, cleanroom_size, "
                                "environmental_category, grid_capacity, graduates, labour_market, housing_pressure, "
                                "knowledge_distance), for clients that word them in their reader's language.")
    explanation_facts: tuple[Explanation, ...] = Field(
        default=(), description="`explanations` as facts, one per line in the same order.")


class Shortfall(Frozen):
    """One hard constraint a near miss fails, as facts: what a client needs to word the counterfactual itself
    (in its reader's language, numbers and dates as the reader writes them)."""

    constraint: str = Field(description="The hard constraint: availability, floor_space, cleanroom, "
                                        "vibration_free, grid_capacity or environmental_category.")
    needed: float | None = _fact(description="m² (floor space, cleanroom) or MW (grid) needed.")
    offered: float | None = _fact(description="What the site offers by the date needed, same unit.")
    needed_by: date | None = _fact(description="When the company needs it.")
    site_from: date | None = _fact(description="The site's own date that would make it: planned "
                                               "land, a grid reinforcement, or when it is available.")
    required: str | None = _fact(description="The class needed: ISO cleanroom class or "
                                             "environmental category.")
    present: str | None = _fact(description="What the site has of it (none: nothing).")


class NearMiss(Frozen):
    """A site that fails few hard constraints by a small margin, with what would make it qualify."""

    site_id: str
    site_name: str
    region: Region
    municipality_code: str = CbsMunicipalityCode
    own_region: bool
    failed: tuple[str, ...] = Field(description="The hard constraints it fails.")
    counterfactuals: tuple[str, ...] = Field(description="e.g. 'qualifies with +2 MW by 2027-06'.")
    shortfalls: tuple[Shortfall, ...] = Field(default=(), description="The same as facts, one per failed "
                                                                      "constraint, in the order of `failed`.")


class MatchProposedData(Frozen):
    case_id: UUID
    code_name: str
    technology_domains: tuple[TechnologyDomain, ...]
    origin_region: Region
    proposals: tuple[Proposal, ...]
    no_proposition: bool = Field(description="True when no site anywhere meets the hard constraints.")
    blocking: dict[str, list[str]] = Field(default_factory=dict,
                                           description="Per region, the hard constraints that blocked it.")
    blocking_details: dict[str, list[str]] = Field(
        default_factory=dict, description="Per region in `blocking`, in words: how many sites failed each "
                                          "constraint and the best offer there.")
    near_misses: tuple[NearMiss, ...] = Field(default=(), description="Sites that almost qualify, and how.")
    revision: int = Field(default=1, ge=1, description="1 for the first match of a case; higher on re-matching.")
    trigger: str = Field(default="case-opened", description="What caused this match: case-opened, lead-updated, "
                                                            "site-changed.")


class MatchProposed(Envelope):
    topic: ClassVar[str] = "match-proposed"
    type: Literal["nl.groeiruimte.match-proposed"] = "nl.groeiruimte.match-proposed"
    schemaversion: Literal[1] = 1
    data: MatchProposedData


class _Counted(Frozen):
    """A list element only counted: its fields are skipped, not read."""


class MatchOutlineData(Frozen):
    """What a consumer that only records that a case was matched reads of match-proposed."""

    case_id: UUID
    proposals: tuple[_Counted, ...]
    no_proposition: bool
    revision: int = Field(default=1, ge=1)


class MatchProposedOutline(Envelope):
    """match-proposed read as a tolerant reader that needs only its outline (intake: the case's status).

    The same topic and event as `MatchProposed`, not a contract of its own (not in EVENT_TYPES): building the
    proposals' forty-odd models per event was most of intake's parsing, for a count (docs/benchmarks.md)."""

    topic: ClassVar[str] = MatchProposed.topic
    type: Literal["nl.groeiruimte.match-proposed"] = "nl.groeiruimte.match-proposed"
    schemaversion: Literal[1] = 1
    data: MatchOutlineData


class RelocationRealisedData(Frozen):
    case_id: UUID
    origin: Location
    destination: Location
    investment_retained_eur: float = Field(ge=0)
    investment_status: InvestmentStatus
    jobs: int = Field(ge=0)
    new_scale_up: bool
    evidence_ref: str = Field(min_length=1, max_length=200)
    destination_site_id: str | None = Field(default=None, description="The catalogue site, when it was one.")


class RelocationRealised(Envelope):
    topic: ClassVar[str] = "relocation-realised"
    type: Literal["nl.groeiruimte.relocation-realised"] = "nl.groeiruimte.relocation-realised"
    schemaversion: Literal[1] = 1
    data: RelocationRealisedData


class LeadRegisteredData(Frozen):
    """Intake accepted a new lead (organisation + reference) into the portfolio. No company identity."""

    lead_id: UUID
    organisation: str
    company_ref: str = Field(description="Keyed hash of the KvK number; the same company has the same ref.")
    stage: Stage
    technology_domains: tuple[TechnologyDomain, ...]
    origin: Location
    demand_types: tuple[str, ...] = Field(description="Which of the five demand types the lead has.")
    investment_eur: float | None = Field(description="None when the ROM does not know it yet (never 0).")
    investment_status: InvestmentStatus
    eligible: bool
    triage_reason: str
    case_id: UUID | None = Field(default=None, description="The case it opened or joined, if any.")
    joined_existing_case: bool = Field(default=False, description="Same company already signalled by another ROM.")
    organisation_kind: OrganisationKind = OrganisationKind.ROM
    life_phase: int | None = Field(default=None, description="Venture-building life phase 1-4, when known.")
    leaving_likelihood: LeavingLikelihood | None = Field(default=None, description="Risk of leaving the country.")
    in_scope: bool | None = Field(default=None, description="In the programme's scope (deeptech, not excluded), "
                                  "whatever the horizon of its need; None from producers that do not say.")
    name_digests: tuple[Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")], ...] = Field(
        default=(), max_length=4, description="Keyed hashes (HMAC-SHA256, NAME_HASH_KEY) of the company's normalised "
        "name, never the name: reporting refuses a note that names the company without reading lead-signalled.")


class LeadRegistered(Envelope):
    topic: ClassVar[str] = "lead-registered"
    type: Literal["nl.groeiruimte.lead-registered"] = "nl.groeiruimte.lead-registered"
    schemaversion: Literal[1] = 1
    data: LeadRegisteredData


class LeadUpdatedData(Frozen):
    """A lead's demand, stage or triage changed; other services re-match, re-notify and re-count."""

    lead_id: UUID
    case_id: UUID | None = None
    stage: Stage
    technology_domains: tuple[TechnologyDomain, ...]
    demand: SpaceDemand
    investment_eur: float | None = Field(description="None when the ROM does not know it yet (never 0).")
    investment_status: InvestmentStatus
    eligible: bool
    triage_reason: str
    changed: tuple[str, ...] = Field(description="Names of the fields that changed.")
    origin: Location | None = Field(default=None, description="Current location (it may have changed).")
    life_phase: int | None = None
    leaving_likelihood: LeavingLikelihood | None = None
    in_scope: bool | None = Field(default=None, description="In the programme's scope whatever the horizon "
                                  "(see lead-registered); None from producers that do not say.")
    company_ref: str | None = Field(default=None, description="Keyed hash of the KvK number, as in lead-registered.")
    organisation: str | None = Field(default=None, description="The signalling organisation, as in lead-registered.")


class LeadUpdated(Envelope):
    topic: ClassVar[str] = "lead-updated"
    type: Literal["nl.groeiruimte.lead-updated"] = "nl.groeiruimte.lead-updated"
    schemaversion: Literal[1] = 1
    data: LeadUpdatedData


class SealedIdentity(Frozen):
    """The company's name and KvK number encrypted (AES-256-GCM) with a key of its own that intake keeps and
    hands to notifications only. Erasure destroys the key: every copy of this event in Kafka is unreadable
    from then on (crypto-shredding), while the events around it still rebuild the figures."""

    form: Literal["sealed"] = "sealed"
    key_id: UUID = Field(description="Which key of intake's opens it (GET /identity-keys/{key_id}).")
    nonce: str = Field(description="Base64 (URL-safe) of the 12-byte GCM nonce.")
    ciphertext: str = Field(description="Base64 (URL-safe) of the encrypted JSON {name, kvk_number} with its tag; "
                                        "the case id is bound to it as associated data.")


class PlainIdentity(Frozen):
    """Version 1's identity in the clear (events written before sealing): still readable, never written."""

    form: Literal["plain"] = "plain"
    company_name: str
    kvk_number: str = Field(pattern=r"^\d{8}$")


class ConsentGrantedData(Frozen):
    """The company consented to its identity being shared with municipalities and provinces for its case."""

    case_id: UUID
    identity: Annotated[SealedIdentity | PlainIdentity, Field(discriminator="form")]


def consent_granted_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 carried the name and KvK number in the clear; version 2 carries them sealed (or, for those old
    events, as a plain identity), so a reader handles both with one model."""
    identity = {"form": "plain", "company_name": data.pop("company_name", None),
                "kvk_number": data.pop("kvk_number", None)}
    return data | {"identity": identity}


class ConsentGranted(Envelope):
    topic: ClassVar[str] = "consent-granted"
    type: Literal["nl.groeiruimte.consent-granted"] = "nl.groeiruimte.consent-granted"
    schemaversion: Literal[2] = 2
    upcasters: ClassVar = {1: consent_granted_v1_to_v2}
    data: ConsentGrantedData


class IdentityErasedData(Frozen):
    """A company's identity was erased on request (GDPR art. 17): whoever kept a copy deletes it. No identity."""

    case_id: UUID | None = Field(description="The company's case; None when none of its leads has one.")
    lead_ids: tuple[UUID, ...]
    requested_by: str = Field(description="The organisation that asked (a ROM for its lead, or the taskforce).")


class IdentityErased(Envelope):
    topic: ClassVar[str] = "identity-erased"
    type: Literal["nl.groeiruimte.identity-erased"] = "nl.groeiruimte.identity-erased"
    schemaversion: Literal[1] = 1
    data: IdentityErasedData


class CaseOutcome(StrEnum):
    RELOCATED = "relocated"
    STAYED = "stayed"
    LEFT_COUNTRY = "left-country"
    WITHDREW = "withdrew"


class CaseClosedData(Frozen):
    """A case ended; a relocation also has its own relocation-realised event."""

    case_id: UUID
    outcome: CaseOutcome
    origin_region: Region
    reason: str = Field(default="", max_length=500)
    destination_country: str | None = Field(default=None, description="When the company left the country.")


class CaseClosed(Envelope):
    topic: ClassVar[str] = "case-closed"
    type: Literal["nl.groeiruimte.case-closed"] = "nl.groeiruimte.case-closed"
    schemaversion: Literal[1] = 1
    data: CaseClosedData


class ProposalDecidedData(Frozen):
    """The coordinator accepted or declined one proposed site for a case."""

    case_id: UUID
    site_id: str
    decision: Literal["accepted", "declined"]
    reason: str = Field(min_length=1, max_length=500)
    decided_by: str


class ProposalDecided(Envelope):
    topic: ClassVar[str] = "proposal-decided"
    type: Literal["nl.groeiruimte.proposal-decided"] = "nl.groeiruimte.proposal-decided"
    schemaversion: Literal[1] = 1
    data: ProposalDecidedData


class SiteChangedData(Frozen):
    """Supply changed at a site (capacity, grid, availability); matching re-matches affected open cases."""

    site_id: str
    changed: dict[str, str | float | int | bool | None] = Field(description="Field -> new value.")
    changed_by: str
    deleted: bool = Field(default=False, description="The entry was wrong and is gone from the catalogue (its "
                                                     "history keeps it); `changed` then says `retired: true`, "
                                                     "so a reader that ignores this field still stops using it.")


class SiteChanged(Envelope):
    topic: ClassVar[str] = "site-changed"
    type: Literal["nl.groeiruimte.site-changed"] = "nl.groeiruimte.site-changed"
    schemaversion: Literal[1] = 1
    data: SiteChangedData


class RecipientRepliedData(Frozen):
    """A municipality or province answered a notification with an offer or a decline."""

    case_id: UUID
    recipient: str
    site_id: str | None = None
    response: Literal["offer", "decline"]
    message: str = Field(default="", max_length=2000)


class RecipientReplied(Envelope):
    topic: ClassVar[str] = "recipient-replied"
    type: Literal["nl.groeiruimte.recipient-replied"] = "nl.groeiruimte.recipient-replied"
    schemaversion: Literal[1] = 1
    data: RecipientRepliedData


EVENT_TYPES: dict[str, type[Envelope]] = {
    model.topic: model for model in (
        LeadSignalled, LeadRegistered, LeadUpdated, ConsentGranted, CaseOpened, MatchProposed, ProposalDecided,
        SiteChanged, RelocationRealised, CaseClosed, RecipientReplied, IdentityErased)
}
