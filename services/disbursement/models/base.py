from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from shared.db import define_infra_tables


class Base(SQLModel, registry=registry()):
    pass


INFRA = define_infra_tables(Base.metadata)

AMOUNT = (18, 4)  # NUMERIC(18, 4): every amount of every currency this fund pays in
