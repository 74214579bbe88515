"""Fixed catalogues the officer picks from (topics, statuses, owner types, model types, ranks).

Each catalogue is an ordered tuple of (code, English label marked for translation). Codes are
stored and exported; labels are shown. Codes never change meaning.
"""

from __future__ import annotations

from app.i18n import N_

Catalogue = tuple[tuple[str, str], ...]

SESSION_TOPICS: Catalogue = (
    ("pccc_cnch", N_("Fire prevention and rescue (PCCC & CNCH)")),
    ("crime_prevention", N_("Crime prevention")),
    ("drugs", N_("Drug prevention")),
    ("law", N_("Law dissemination")),
    ("project06", N_("Project 06 / electronic identification")),
    ("traffic", N_("Traffic safety")),
    ("other", N_("Other topic")),
)

TEAM_STATUSES: Catalogue = (
    ("active", N_("Active")),
    ("inactive", N_("Inactive")),
    ("dissolved", N_("Dissolved")),
)

FIRE_POINT_STATUSES: Catalogue = (
    ("ready", N_("Ready")),
    ("needs_refill", N_("Needs refill or repair")),
    ("out_of_service", N_("Out of service")),
)

CAMERA_OWNERS: Catalogue = (
    ("household", N_("Household")),
    ("business", N_("Business")),
    ("state", N_("State agency")),
)

CAMERA_STATUSES: Catalogue = (
    ("working", N_("Working")),
    ("faulty", N_("Faulty")),
    ("removed", N_("Removed")),
)

MODEL_TYPES: Catalogue = (
    ("self_managed_group", N_("People's self-managed security group")),
    ("household_group", N_("Self-managed household group")),
    ("zalo_group", N_("Security Zalo group")),
    ("drug_free_ward", N_("Drug-free ward")),
    ("reintegration", N_("Reintegration of returnees")),
    ("skilled_mass_mobilisation", N_("Skilled mass mobilisation")),
    ("safe_market", N_("Security-safe market")),
    ("lit_streets", N_("Lit and flowered streets")),
    ("civilised_bins", N_("Civilised rubbish bins")),
    ("other", N_("Other model")),
)

MODEL_STATUSES: Catalogue = (
    ("active", N_("Active")),
    ("suspended", N_("Suspended")),
    ("ended", N_("Ended")),
)

RANKS: Catalogue = (
    ("ha_si", N_("Corporal")),
    ("trung_si", N_("Sergeant")),
    ("thuong_si", N_("Staff sergeant")),
    ("thieu_uy", N_("Second lieutenant")),
    ("trung_uy", N_("First lieutenant")),
    ("thuong_uy", N_("Senior lieutenant")),
    ("dai_uy", N_("Captain")),
    ("thieu_ta", N_("Major")),
    ("trung_ta", N_("Lieutenant colonel")),
    ("thuong_ta", N_("Senior lieutenant colonel")),
    ("dai_ta", N_("Colonel")),
    ("other", N_("Other rank")),
)

POSITIONS: Catalogue = (
    ("chief", N_("Ward police chief")),
    ("deputy_chief", N_("Deputy ward police chief")),
    ("officer", N_("Officer")),
    ("other", N_("Other position")),
)

UNIT_KINDS: Catalogue = (
    ("province_police", N_("Provincial police")),
    ("ward_police", N_("Ward police")),
    ("commune_police", N_("Commune police")),
    ("special_zone_police", N_("Special zone police")),
)

# Other ways officers' spreadsheets write a choice (compared without tone marks or punctuation).
CHOICE_ALIASES: dict[str, tuple[str, ...]] = {
    "pccc_cnch": ("pccc", "pccc cnch", "phong chay chua chay", "phong chay chua chay cnch"),
    "crime_prevention": ("phong chong toi pham", "toi pham"),
    "drugs": ("ma tuy", "phong chong ma tuy"),
    "law": ("pho bien phap luat", "pbgdpl", "tuyen truyen phap luat", "phap luat"),
    "project06": ("de an 06", "dinh danh dien tu", "vneid"),
    "traffic": ("atgt", "an toan giao thong", "giao thong"),
    "active": ("dang hoat dong", "hoat dong"),
    "inactive": ("ngung hoat dong", "khong hoat dong"),
    "dissolved": ("giai the",),
    "ready": ("tot", "dam bao", "san sang"),
    "needs_refill": ("can nap", "can sua", "can nap lai"),
    "out_of_service": ("hong", "hu hong", "khong su dung duoc"),
    "household": ("ho dan", "ho gia dinh", "ca nhan"),
    "business": ("doanh nghiep", "co so kinh doanh", "cua hang"),
    "state": ("nha nuoc", "co quan", "co quan nha nuoc"),
    "working": ("dang hoat dong", "hoat dong", "hoat dong tot", "tot"),
    "faulty": ("hong", "hu hong", "loi"),
    "removed": ("da thao", "thao do", "da thao do"),
    "suspended": ("tam dung",),
    "ended": ("ket thuc", "da ket thuc"),
}
