"""Reference data for Iraq: ISO 3166-2:IQ governorate codes."""

GOVERNORATES: dict[str, dict[str, str]] = {
    "IQ-AN": {"en": "Anbar", "ar": "الأنبار"},
    "IQ-AR": {"en": "Erbil", "ar": "أربيل"},
    "IQ-BA": {"en": "Basra", "ar": "البصرة"},
    "IQ-BB": {"en": "Babil", "ar": "بابل"},
    "IQ-BG": {"en": "Baghdad", "ar": "بغداد"},
    "IQ-DA": {"en": "Duhok", "ar": "دهوك"},
    "IQ-DI": {"en": "Diyala", "ar": "ديالى"},
    "IQ-DQ": {"en": "Dhi Qar", "ar": "ذي قار"},
    "IQ-KA": {"en": "Karbala", "ar": "كربلاء"},
    "IQ-KI": {"en": "Kirkuk", "ar": "كركوك"},
    "IQ-MA": {"en": "Maysan", "ar": "ميسان"},
    "IQ-MU": {"en": "Muthanna", "ar": "المثنى"},
    "IQ-NA": {"en": "Najaf", "ar": "النجف"},
    "IQ-NI": {"en": "Ninawa", "ar": "نينوى"},
    "IQ-QA": {"en": "Al-Qadisiyah", "ar": "القادسية"},
    "IQ-SD": {"en": "Salah al-Din", "ar": "صلاح الدين"},
    "IQ-SU": {"en": "Sulaymaniyah", "ar": "السليمانية"},
    "IQ-WA": {"en": "Wasit", "ar": "واسط"},
}
