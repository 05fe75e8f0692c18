"""Calendar of the simulated store: weekly and festival seasonality, operational-time warps, diurnal shape.

Time inside the simulator is a float number of days since the *origin* (the first prehistory day);
``Calendar.to_us`` converts it to naive local microseconds (Asia/Shanghai wall clock).

The festival calendar follows the Tmall promotion rhythm: 38 女王节 (Mar 8), 618 (presale from May 20,
first wave Jun 1, peak Jun 18), 99 (Sep 9), Double 11 (presale from Oct 20, final-payment wave from
Oct 31 20:00, peak Nov 11 at midnight) and Double 12, plus the Spring Festival logistics dip.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Calendar", "Warp", "DIURNAL", "FESTIVALS", "SPRING_FESTIVAL", "WEEKLY"]

#: Relative daily intensity by weekday, Monday first.
WEEKLY = (0.96, 0.95, 0.96, 0.98, 1.00, 1.06, 1.09)

#: (name, first MM-DD, last MM-DD, multiplier); overlapping segments take the maximum.
FESTIVALS: tuple[tuple[str, str, str, float], ...] = (
    ("38_warmup", "03-01", "03-07", 1.25), ("38", "03-08", "03-08", 2.2),
    ("618_presale", "05-20", "05-30", 1.2), ("618_first_wave_eve", "05-31", "05-31", 2.0),
    ("618_first_wave", "06-01", "06-01", 2.6), ("618_run", "06-02", "06-15", 1.35),
    ("618_warmup", "06-16", "06-17", 1.7), ("618_peak", "06-18", "06-18", 4.0),
    ("618_tail", "06-19", "06-20", 1.3),
    ("99", "09-09", "09-09", 1.5),
    ("d11_presale", "10-20", "10-30", 1.5), ("d11_final_payment", "10-31", "10-31", 3.0),
    ("d11_first_wave", "11-01", "11-03", 2.0), ("d11_run", "11-04", "11-10", 1.4),
    ("d11_peak", "11-11", "11-11", 8.0), ("d11_tail", "11-12", "11-13", 1.5),
    ("d12", "12-12", "12-12", 2.0),
)
#: Spring Festival (Chinese New Year) dates; a ``SPRING_DIP`` multiplier applies from 7 days before to 6 after.
SPRING_FESTIVAL = {2022: "2022-02-01", 2023: "2023-01-22", 2024: "2024-02-10", 2025: "2025-01-29",
                   2026: "2026-02-17", 2027: "2027-02-06", 2028: "2028-01-26", 2029: "2029-02-13",
                   2030: "2030-02-03"}
SPRING_DIP = 0.6

#: Hour-of-day weights (0h … 23h): low at night, a late-morning peak and an evening peak at 20–23h.
DIURNAL = (3.0, 1.5, 0.8, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 3.8, 4.8, 5.2,
           4.6, 4.2, 4.4, 4.5, 4.4, 4.2, 4.0, 4.8, 6.2, 7.2, 7.0, 5.2)
#: Days whose hour profile has a midnight rush (profile 1) or a 20:00 final-payment rush (profile 2).
MIDNIGHT_DAYS = ("03-08", "06-01", "06-18", "11-11", "12-12")
EVENING_DAYS = ("05-31", "10-31")


def _profiles() -> np.ndarray:
    base = np.array(DIURNAL, dtype=float)
    midnight, evening = base.copy(), base.copy()
    midnight[0] *= 8.0
    midnight[1] *= 4.0
    evening[20] *= 4.0
    evening[21] *= 2.0
    prof = np.stack([base, midnight, evening])
    return prof / prof.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class Warp:
    """Piecewise-linear operational time ``tau = Lambda(t)`` of a piecewise-constant daily intensity.

    The intensity is normalised to mean 1 over the simulated days, so an operational day is a
    calendar day on average; with amplitude 0 the warp is the identity.
    """

    knots: np.ndarray  # calendar day boundaries 0 .. D
    cum: np.ndarray  # Lambda at the knots

    def forward(self, t: np.ndarray) -> np.ndarray:
        """Operational time of calendar time ``t`` (days since origin)."""
        return np.interp(t, self.knots, self.cum)

    def inverse(self, tau: np.ndarray) -> np.ndarray:
        """Calendar time of operational time ``tau``."""
        return np.interp(tau, self.cum, self.knots)

    def sample(self, rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray, owner: np.ndarray) -> np.ndarray:
        """One time per ``owner`` row, with density proportional to the intensity on ``[lo, hi)``."""
        a, b = self.forward(lo)[owner], self.forward(hi)[owner]
        return np.minimum(self.inverse(a + rng.random(len(owner)) * (b - a)), np.asarray(hi, float)[owner] - 1e-9)


@dataclass
class Calendar:
    """The simulated days: ``prehistory`` days before ``start`` then ``days`` exported days."""

    start: dt.date
    days: int
    prehistory: int
    dates: np.ndarray = field(init=False)
    shape: np.ndarray = field(init=False)  # weekly x festival multiplier per simulated day
    profile: np.ndarray = field(init=False)  # diurnal profile per simulated day
    festival_day: np.ndarray = field(init=False)  # True on promotion days (multiplier >= 1.5)

    def __post_init__(self) -> None:
        origin = np.datetime64(self.start, "D") - self.prehistory
        self.dates = origin + np.arange(self.n_days)
        weekday = (self.dates.astype("datetime64[D]").view("int64") - 4) % 7  # 1970-01-01 was a Thursday
        weekly = np.array(WEEKLY)[weekday]
        fest = np.ones(self.n_days)
        prof = np.zeros(self.n_days, dtype=np.int8)
        years = self.dates.astype("datetime64[Y]").astype(int) + 1970
        for y in np.unique(years):
            for _, lo, hi, mult in FESTIVALS:
                m = (self.dates >= np.datetime64(f"{y}-{lo}")) & (self.dates <= np.datetime64(f"{y}-{hi}"))
                fest[m] = np.maximum(fest[m], mult)
            sf = SPRING_FESTIVAL.get(int(y))
            if sf:
                d0 = np.datetime64(sf)
                m = (self.dates >= d0 - 7) & (self.dates <= d0 + 6)
                fest[m] = np.minimum(fest[m], SPRING_DIP)
            for md in MIDNIGHT_DAYS:
                prof[self.dates == np.datetime64(f"{y}-{md}")] = 1
            for md in EVENING_DAYS:
                prof[self.dates == np.datetime64(f"{y}-{md}")] = 2
        self.shape = weekly * fest
        self.profile = prof
        self.festival_day = fest >= 1.5
        self._cdf = np.cumsum(_profiles(), axis=1)
        self._cdf[:, -1] = 1.0

    # --- geometry ------------------------------------------------------------------------------
    @property
    def n_days(self) -> int:
        """Simulated days (prehistory + window)."""
        return self.prehistory + self.days

    @property
    def window_lo(self) -> float:
        """First exported time (days since origin)."""
        return float(self.prehistory)

    @property
    def window_hi(self) -> float:
        """End of the exported window (exclusive)."""
        return float(self.n_days)

    @property
    def origin_us(self) -> int:
        """Origin as naive local microseconds since 1970-01-01."""
        return int(self.dates[0].astype("datetime64[us]").view("int64"))

    def to_us(self, t: np.ndarray) -> np.ndarray:
        """Naive local microseconds of simulator times ``t`` (days since origin)."""
        return self.origin_us + np.round(np.asarray(t, dtype=float) * 86_400e6).astype(np.int64)

    def day_of(self, t: np.ndarray) -> np.ndarray:
        """Simulated day index of times ``t`` (clipped to the simulated days)."""
        return np.clip(np.floor(t).astype(np.int64), 0, self.n_days - 1)

    # --- seasonality ----------------------------------------------------------------------------
    def intensity(self, amplitude: float) -> np.ndarray:
        """Daily intensity ``1 + amplitude * (shape / mean(shape) - 1)``, floored at 0.05 and renormalised to mean 1."""
        s = 1.0 + amplitude * (self.shape / self.shape.mean() - 1.0)
        s = np.maximum(s, 0.05)
        return s / s.mean()

    def warp(self, amplitude: float) -> Warp:
        """Operational-time warp for a seasonal ``amplitude`` (0 = identity)."""
        cum = np.concatenate([[0.0], np.cumsum(self.intensity(amplitude))])
        return Warp(np.arange(self.n_days + 1, dtype=float), cum)

    # --- diurnal --------------------------------------------------------------------------------
    def time_of_day(self, rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
        """Fractions of a day drawn from the hour profile of each simulated ``day`` (diurnal shape)."""
        day = np.asarray(day, dtype=np.int64)
        prof = self.profile[day]
        u = rng.random(len(day))
        hour = np.empty(len(day), dtype=np.int64)
        for k in range(self._cdf.shape[0]):
            m = prof == k
            hour[m] = np.searchsorted(self._cdf[k], u[m], side="right")
        hour = np.minimum(hour, 23)
        return (hour + rng.random(len(day))) / 24.0

    def with_time_of_day(self, rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
        """Keep the calendar day of ``t`` and redraw its time of day from the diurnal profile."""
        day = self.day_of(t)
        return day + self.time_of_day(rng, day)

    def describe(self) -> dict:
        """The seasonality definition, for truth.json."""
        return {
            "weekly_monday_first": list(WEEKLY),
            "festivals": [{"name": n, "from": lo, "to": hi, "multiplier": m} for n, lo, hi, m in FESTIVALS],
            "spring_festival": {"dates": SPRING_FESTIVAL, "window_days": [-7, 6], "multiplier": SPRING_DIP},
            "diurnal_hour_weights": list(DIURNAL),
            "midnight_rush_days": list(MIDNIGHT_DAYS), "evening_rush_days": list(EVENING_DAYS),
            "intensity": "1 + amplitude * (weekly * festival / mean - 1), floored at 0.05, renormalised to mean 1 "
                         "over the simulated days; operational time Lambda(t) = integral of the intensity",
        }
