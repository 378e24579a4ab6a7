from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from shared.db import define_infra_tables


class Base(SQLModel, registry=registry()):
    pass


INFRA = define_infra_tables(Base.metadata)
