"""Thin routes of the disbursement service (its public routes come with their issues)."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["disbursement"])
