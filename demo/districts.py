"""Iraqi governorates (ISO 3166-2:IQ codes) and some of their districts (qadhas), with the
districts' names in English and Arabic and the approximate coordinates of their centres.

Kept in the repository so that the demo needs nothing from outside; not a complete gazetteer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class District:
    en: str
    ar: str
    lat: float
    lon: float


def _d(en: str, ar: str, lat: float, lon: float) -> District:
    return District(en, ar, lat, lon)


DISTRICTS: dict[str, tuple[District, ...]] = {
    "IQ-NI": (  # Ninawa
        _d("Mosul", "الموصل", 36.340, 43.130),
        _d("Tel Afar", "تلعفر", 36.377, 42.449),
        _d("Sinjar", "سنجار", 36.322, 41.876),
        _d("Al-Hamdaniya", "الحمدانية", 36.271, 43.375),
        _d("Tel Kaif", "تلكيف", 36.490, 43.119),
        _d("Al-Shikhan", "الشيخان", 36.697, 43.352),
        _d("Al-Baaj", "البعاج", 36.036, 41.725),
        _d("Hatra", "الحضر", 35.588, 42.719),
        _d("Makhmur", "مخمور", 35.776, 43.580),
        _d("Aqrah", "عقرة", 36.741, 43.893),
    ),
    "IQ-AN": (  # Anbar
        _d("Ramadi", "الرمادي", 33.420, 43.300),
        _d("Fallujah", "الفلوجة", 33.350, 43.783),
        _d("Hit", "هيت", 33.638, 42.827),
        _d("Haditha", "حديثة", 34.139, 42.378),
        _d("Al-Qaim", "القائم", 34.368, 41.094),
        _d("Anah", "عانة", 34.472, 41.989),
        _d("Rawa", "راوة", 34.476, 41.910),
        _d("Al-Rutba", "الرطبة", 33.038, 40.284),
    ),
    "IQ-SD": (  # Salah al-Din
        _d("Tikrit", "تكريت", 34.607, 43.679),
        _d("Samarra", "سامراء", 34.198, 43.874),
        _d("Baiji", "بيجي", 34.929, 43.493),
        _d("Balad", "بلد", 34.016, 44.145),
        _d("Al-Shirqat", "الشرقاط", 35.510, 43.230),
        _d("Tuz Khurmatu", "طوز خورماتو", 34.885, 44.633),
        _d("Al-Dour", "الدور", 34.457, 43.794),
    ),
    "IQ-KI": (  # Kirkuk
        _d("Kirkuk", "كركوك", 35.468, 44.392),
        _d("Al-Hawija", "الحويجة", 35.315, 43.763),
        _d("Dibis", "الدبس", 35.649, 44.058),
        _d("Daquq", "داقوق", 35.138, 44.453),
    ),
    "IQ-DI": (  # Diyala
        _d("Baqubah", "بعقوبة", 33.746, 44.643),
        _d("Al-Muqdadiya", "المقدادية", 33.978, 44.937),
        _d("Khanaqin", "خانقين", 34.349, 45.391),
        _d("Al-Khalis", "الخالص", 33.808, 44.534),
        _d("Baladrooz", "بلدروز", 33.698, 45.078),
        _d("Kifri", "كفري", 34.689, 44.963),
    ),
    "IQ-BG": (  # Baghdad
        _d("Al-Rusafa", "الرصافة", 33.333, 44.421),
        _d("Al-Karkh", "الكرخ", 33.313, 44.361),
        _d("Al-Adhamiya", "الأعظمية", 33.370, 44.381),
        _d("Al-Kadhimiya", "الكاظمية", 33.380, 44.339),
        _d("Sadr City", "مدينة الصدر", 33.393, 44.470),
        _d("Abu Ghraib", "أبو غريب", 33.296, 44.060),
        _d("Al-Mahmudiya", "المحمودية", 33.060, 44.366),
        _d("Al-Madain", "المدائن", 33.098, 44.581),
        _d("Al-Tarmiyah", "الطارمية", 33.680, 44.390),
    ),
    "IQ-BA": (  # Basra
        _d("Basra", "البصرة", 30.508, 47.783),
        _d("Al-Zubair", "الزبير", 30.392, 47.702),
        _d("Abu Al-Khaseeb", "أبو الخصيب", 30.450, 48.001),
        _d("Al-Qurna", "القرنة", 31.009, 47.430),
        _d("Shatt Al-Arab", "شط العرب", 30.560, 47.860),
        _d("Al-Faw", "الفاو", 29.975, 48.472),
        _d("Al-Midaina", "المدينة", 30.948, 47.267),
    ),
    "IQ-DA": (  # Duhok
        _d("Duhok", "دهوك", 36.867, 42.988),
        _d("Zakho", "زاخو", 37.144, 42.682),
        _d("Sumel", "سميل", 36.858, 42.851),
        _d("Amedi", "العمادية", 37.092, 43.487),
    ),
    "IQ-AR": (  # Erbil
        _d("Erbil", "أربيل", 36.191, 44.009),
        _d("Soran", "سوران", 36.653, 44.544),
        _d("Shaqlawa", "شقلاوة", 36.404, 44.322),
        _d("Koya", "كويه", 36.083, 44.628),
        _d("Mergasur", "ميركسور", 36.838, 44.308),
    ),
}

# Who lives there, roughly (owners and the workers they hire): governorates that saw the 2014–2017
# conflict have many returnees and displaced people.
DISPLACEMENT_MIX: dict[str, tuple[float, float, float]] = {  # (idp, returnee, host)
    "IQ-NI": (0.22, 0.38, 0.40),
    "IQ-AN": (0.10, 0.45, 0.45),
    "IQ-SD": (0.12, 0.40, 0.48),
    "IQ-KI": (0.15, 0.25, 0.60),
    "IQ-DI": (0.12, 0.28, 0.60),
    "IQ-DA": (0.35, 0.05, 0.60),
    "IQ-AR": (0.20, 0.05, 0.75),
}
DEFAULT_MIX = (0.05, 0.05, 0.90)

# Call codes start with these (e.g. NIN26D1): three letters per governorate.
CODE_PREFIX: dict[str, str] = {
    "IQ-NI": "NIN",
    "IQ-AN": "ANB",
    "IQ-SD": "SAD",
    "IQ-KI": "KIR",
    "IQ-DI": "DIY",
    "IQ-BG": "BGD",
    "IQ-BA": "BAS",
    "IQ-DA": "DUH",
    "IQ-AR": "ERB",
}
