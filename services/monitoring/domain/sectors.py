"""EDF sectors as the standards the exports follow name them."""

from __future__ import annotations

# EDF sectors (the application form's list) as OECD DAC CRS purpose codes (5 digit), for IATI
# and 360Giving. A sector with a purpose code of its own gets it; trade, services, transport and
# anything else gets 16020 "Employment creation", the purpose of every EDF grant.
DAC_SECTORS: dict[str, tuple[str, str]] = {
    "agriculture": ("31120", "Agricultural development"),
    "food_processing": ("32161", "Agro-industries"),
    "manufacturing": ("32130", "Small and medium-sized enterprises (SME) development"),
    "construction": ("32130", "Small and medium-sized enterprises (SME) development"),
    "handicrafts": ("32140", "Cottage industries and handicraft"),
    "technology": ("22040", "Information and communication technology (ICT)"),
    "tourism": ("33210", "Tourism policy and administrative management"),
}
DAC_DEFAULT = ("16020", "Employment creation")


def dac_sector(sector: str | None) -> tuple[str, str]:
    """(purpose code, its name) of an EDF sector."""
    return DAC_SECTORS.get(sector or "", DAC_DEFAULT)
