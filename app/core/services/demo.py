"""A realistic demo ward with years of history, for trying the app, screenshots and benchmarks.

Figures follow the public reporting the programme is known by (DOMAIN.md): a ward with about
6 fire-safety teams, 18 public fire points, 40 cameras, 8 to 10 community models and a few
outreach sessions a month. The unit code is illustrative, not checked against QĐ 19/2025.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from app.core.domain import catalogues as cat
from app.core.domain.progress import CancelToken, ProgressCallback, no_progress
from app.core.services.assessments import AssessmentService
from app.core.services.indicators import IndicatorService
from app.core.services.packs import install_bundled
from app.core.services.profile import ProfileInput, is_set_up, set_up
from app.core.services.records import RecordService
from app.db.engine import Database
from app.i18n import _

DEMO_PROFILE = ProfileInput(
    province_code="40",
    ward_code="16681",
    ward_name="Công an phường Trường Vinh",
    place_name="Trường Vinh",
)

FAMILY = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
]
MIDDLE_MEN = ["Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Công", "Xuân"]
MIDDLE_WOMEN = ["Thị", "Ngọc", "Thu", "Thanh", "Minh", "Hồng"]
GIVEN_MEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hải",
    "Hùng",
    "Long",
    "Nam",
    "Phúc",
    "Quang",
    "Sơn",
    "Trung",
    "Tuấn",
    "Vinh",
    "Thắng",
    "Hoà",
]
GIVEN_WOMEN = [
    "Hà",
    "Hạnh",
    "Hoa",
    "Lan",
    "Linh",
    "Mai",
    "Nga",
    "Thảo",
    "Yến",
    "Huyền",
    "Trang",
    "Nhung",
    "Thuỷ",
    "Oanh",
]
STREETS = (
    "Lê Lợi",
    "Quang Trung",
    "Nguyễn Du",
    "Trường Thi",
    "Phan Đình Phùng",
    "Lê Hồng Phong",
    "Nguyễn Thị Minh Khai",
    "Hồ Tùng Mậu",
    "Đinh Công Tráng",
    "Hà Huy Tập",
    "Trần Phú",
    "Nguyễn Văn Cừ",
    "Lê Duẩn",
    "Phong Định Cảng",
)
BLOCKS = tuple(f"Khối {n}" for n in range(1, 13))
PLACES = (
    "Hội trường Đảng ủy – UBND phường",
    "Nhà văn hoá khối {n}",
    "Trường THCS Trường Thi",
    "Trường Tiểu học Lê Lợi",
    "Chợ Vinh",
    "Trụ sở Công an phường",
    "Sân nhà văn hoá khối {n}",
)
AUDIENCES = (
    "Nhân dân khối {n}",
    "Học sinh Trường THCS Trường Thi",
    "Tiểu thương chợ Vinh",
    "Chủ nhà trọ, cơ sở cho thuê lưu trú",
    "Đoàn viên thanh niên phường",
    "Hội viên Hội Phụ nữ",
    "Hội Người cao tuổi khối {n}",
    "Hộ kinh doanh karaoke, quán bar",
    "Cán bộ tổ dân phố",
)
EQUIPMENT = (
    "2 bình bột ABC 8 kg, 1 bình CO2 5 kg, 1 thang, 1 búa",
    "4 bình bột 8 kg, 1 xà beng, 1 đèn pin, 1 câu liêm",
    "3 bình bột 4 kg, 1 bình CO2 3 kg, 1 chăn chữa cháy",
)
MODEL_NAMES = {
    "self_managed_group": "Tổ nhân dân tự quản về ANTT {block}",
    "household_group": "Nhóm hộ tự quản đường {street}",
    "zalo_group": "Nhóm Zalo an ninh {block}",
    "drug_free_ward": "Phường sạch về ma tuý",
    "reintegration": "Cảm hoá, giáo dục người tái hoà nhập cộng đồng",
    "skilled_mass_mobilisation": "Dân vận khéo trong công tác PCCC",
    "safe_market": "Chợ an toàn về ANTT – chợ Vinh",
    "lit_streets": "Ngõ phố đèn hoa đường {street}",
    "civilised_bins": "Thùng rác văn minh {block}",
}


class DemoBuilder:
    """Builds the demo ward into an empty (set-up or not) database."""

    def __init__(self, db: Database, years: int, today: date, seed: int = 2025) -> None:
        self.db = db
        self.years = max(1, years)
        self.today = today
        self.rng = random.Random(seed)

    def person(self) -> str:
        rng = self.rng
        if rng.random() < 0.5:
            return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_MEN)} {rng.choice(GIVEN_MEN)}"
        return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_WOMEN)} {rng.choice(GIVEN_WOMEN)}"

    def _fill(self, text: str) -> str:
        return text.format(
            n=self.rng.randint(1, 12),
            block=self.rng.choice(BLOCKS),
            street=self.rng.choice(STREETS),
        )

    def past_date(self, max_days: int) -> date:
        return self.today - timedelta(days=self.rng.randint(0, max_days))

    def officers(self) -> list[dict[str, Any]]:
        rows = [
            {
                "full_name": "Phạm Văn Thắng",
                "rank": "thieu_ta",
                "position": "chief",
                "phone": "0912 345 678",
            },
            {
                "full_name": "Nguyễn Thị Hồng Nhung",
                "rank": "dai_uy",
                "position": "deputy_chief",
                "phone": "0987 654 321",
            },
        ]
        ranks = ("thieu_uy", "trung_uy", "thuong_uy", "dai_uy", "trung_si", "thuong_si")
        for _number in range(12):
            rows.append(
                {"full_name": self.person(), "rank": self.rng.choice(ranks), "position": "officer"}
            )
        return rows

    def teams(self) -> list[dict[str, Any]]:
        return [
            {
                "name": f"Tổ liên gia an toàn PCCC số {n}",
                "households": self.rng.randint(5, 12),
                "leader": self.person(),
                "area": f"{self.rng.choice(BLOCKS)}, đường {self.rng.choice(STREETS)}",
                "established_on": self.past_date(365 * 3),
                "status": "active" if n != 6 else "inactive",
            }
            for n in range(1, 7)
        ]

    def fire_points(self) -> list[dict[str, Any]]:
        statuses = ["ready"] * 15 + ["needs_refill"] * 2 + ["out_of_service"]
        return [
            {
                "location": f"Số {self.rng.randint(1, 250)} đường {self.rng.choice(STREETS)} "
                f"({BLOCKS[n % 12]})",
                "equipment": self.rng.choice(EQUIPMENT),
                "last_inspected_on": self.past_date(180),
                "status": statuses[n],
            }
            for n in range(18)
        ]

    def cameras(self) -> list[dict[str, Any]]:
        rows = []
        for n in range(40):
            owner = self.rng.choices(("household", "business", "state"), (6, 3, 1))[0]
            street = self.rng.choice(STREETS)
            rows.append(
                {
                    "address": f"Số {self.rng.randint(1, 300)} đường {street}",
                    "owner_type": owner,
                    "owner_name": self.person()
                    if owner == "household"
                    else f"Cửa hàng {self.rng.choice(GIVEN_WOMEN)} {street}"
                    if owner == "business"
                    else "UBND phường Trường Vinh",
                    "linked_to_police": n < 28,
                    "latitude": round(18.66 + self.rng.random() * 0.03, 6),
                    "longitude": round(105.66 + self.rng.random() * 0.03, 6),
                    "installed_on": self.past_date(365 * 4),
                    "status": "working" if n < 36 else "faulty",
                }
            )
        return rows

    def models(self) -> list[dict[str, Any]]:
        rows = []
        for code, pattern in MODEL_NAMES.items():
            rows.append(
                {
                    "model_type": code,
                    "name": self._fill(pattern),
                    "established_on": self.past_date(365 * self.years),
                    "members": self.rng.randint(8, 60),
                    "status": "active",
                }
            )
        return rows

    def sessions(self) -> Iterator[dict[str, Any]]:
        topics = [code for code, _label in cat.SESSION_TOPICS]
        weights = (5, 4, 3, 3, 3, 2, 1)
        day = self.today - timedelta(days=365 * self.years)
        while day <= self.today:
            # a few sessions a month, more in recent years as the programme grows
            growth = 1 + (day.year - (self.today.year - self.years)) * 0.15
            if self.rng.random() < 0.11 * growth:
                yield {
                    "held_on": day,
                    "topic": self.rng.choices(topics, weights)[0],
                    "place": self._fill(self.rng.choice(PLACES)),
                    "audience": self._fill(self.rng.choice(AUDIENCES)),
                    "attendance": self.rng.randint(25, 180),
                    "presenter": self.person(),
                }
            day += timedelta(days=1)

    def build(
        self, progress: ProgressCallback = no_progress, cancel: CancelToken | None = None
    ) -> dict[str, int]:
        if not is_set_up(self.db):
            set_up(
                self.db,
                DEMO_PROFILE,
                today=self.today - timedelta(days=365 * self.years),
                demo=True,
            )
        service = RecordService(self.db, author="demo", today=lambda: self.today)
        plan = (
            ("officers", self.officers),
            ("teams", self.teams),
            ("fire_points", self.fire_points),
            ("cameras", self.cameras),
            ("models", self.models),
            ("sessions", lambda: list(self.sessions())),
        )
        counts: dict[str, int] = {}
        for step, (kind, make) in enumerate(plan):
            if cancel is not None:
                cancel.check()
            progress(step, len(plan), kind)
            rows = make()
            service.create_many(kind, rows)
            counts[kind] = len(rows)
        if cancel is not None:
            cancel.check()
        progress(len(plan), len(plan) + 2, _("criteria packs and monthly indicators"))
        counts["indicator_months"] = self.indicators()
        counts["assessments"] = self.assessments()
        progress(len(plan) + 2, len(plan) + 2, "")
        return counts

    def indicators(self) -> int:
        """Install the default packs and type plausible monthly figures, past months locked."""
        now = datetime.now(UTC)
        install_bundled(self.db, now, "demo")
        service = IndicatorService(self.db, author="demo", today=lambda: self.today)
        year_now, month_now = service.current_month()
        months = 0
        for year in range(year_now - self.years + 1, year_now + 1):
            for month in range(1, 13 if year < year_now else month_now + 1):
                service.set_many(year, month, self.month_figures(year_now - year))
                if (year, month) != (year_now, month_now):
                    service.lock(year, month)
                months += 1
        return months

    def month_figures(self, years_ago: int) -> dict[str, float | None]:
        """One month of figures; crime is a little higher in earlier years (it goes down)."""
        r = self.rng.randint
        crimes = max(0, r(2, 6) + years_ago // 2 + r(-1, 1))
        solved = round(crimes * self.rng.uniform(0.7, 1.0))
        serious = min(crimes, r(0, 2))
        reports = r(3, 10)
        ours = reports - r(0, 1)
        procedures = r(50, 120)
        residence = r(40, 90)
        conflicts = r(0, 2)
        return {
            "A01": 0.0,
            "A02": conflicts,
            "A03": conflicts - r(0, min(1, conflicts)),
            "B01": crimes,
            "B02": solved,
            "B04": serious,
            "B05": min(serious, solved),
            "B07": r(0, 4),
            "B08": r(0, 2),
            "B09": r(8, 15),
            "B10": r(0, 1),
            "B11": r(0, 1),
            "B12": r(15, 25),
            "C01": reports,
            "C02": ours,
            "C03": ours if self.rng.random() < 0.9 else ours - 1,
            "C05": r(0, 1),
            "D01": r(0, 2),
            "D02": 0.0 if years_ago < 2 or self.rng.random() < 0.9 else 1.0,
            "D03": r(0, 2),
            "D04": r(10, 40),
            "E01": r(0, 1),
            "E02": 0.0,
            "E03": float(r(0, 30)),
            "E04": 60.0,
            "E05": r(2, 8),
            "F01": residence,
            "F02": round(residence * self.rng.uniform(0.6, 0.9)),
            "F04": r(20, 60),
            "F05": r(30, 120),
            "F06": r(100, 300),
            "F07": 25.0,
            "F08": r(0, 3),
            "G01": procedures,
            "G02": procedures,
            "G03": round(procedures * 0.2),
            "G06": 0.0,
            "H07": r(1, 5),
            "I01": 18.0,
            "I02": 0.0,
            "I03": r(0, 2),
        }

    def assessments(self) -> int:
        service = AssessmentService(self.db, author="demo", today=lambda: self.today)
        year_now, _month = service.indicators.current_month()
        opened = 0
        for year in (year_now - 1, year_now):
            view = service.open("bca-639-ward-police", year)
            opened += 1
            for criterion_view in view.criteria:
                criterion = criterion_view.criterion
                if criterion.scoring.value == "points":
                    service.set_item(
                        view.id,
                        criterion.code,
                        status="met",
                        points=criterion.max_points - self.rng.randint(0, 2),
                        evidence="Biên bản kiểm tra của Công an tỉnh.",
                    )
                elif criterion.rule is None:
                    status = "not_met" if criterion.code in ("TC10", "TC16") else "met"
                    service.set_item(
                        view.id,
                        criterion.code,
                        status=status,
                        evidence="Theo báo cáo của Công an phường.",
                    )
        return opened
