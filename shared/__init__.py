"""EDF Grants common package: infrastructure and event contracts shared by every service.

It imports no service; services import it.
"""
