from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MONITORING_", extra="ignore")

    service_name: str = "monitoring"
    port: int = 8004
    # Who publishes the IATI and 360Giving exports. The identifiers are placeholders: set the
    # fund's registered organisation identifier (org-id.guide, e.g. its IATI reporting-org ref) and
    # the 360Giving prefix 360Giving assigned to it before publishing.
    publisher_name: str = "Enterprise Development Fund"
    publisher_org_ref: str = Field("XI-IATI-EDF", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,60}$")
    publisher_org_type: str = Field("90", pattern=r"^[0-9]{2}$")  # IATI OrganisationType (90: other)
    grant_id_prefix: str = Field("360G-EDF", pattern=r"^360G-[A-Za-z0-9._-]{1,40}$")
